"""Online dossiers through the real services: draft, submission, the desk's decision, and what
the citizen does afterwards. Deadlines on the real calendar with frozen time."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.audit.models import Event
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.documents.models import Document, Provenance
from motcua.documents.selectors import citizen_documents
from motcua.dossiers import online
from motcua.dossiers.citizen import citizen_dossier_get, citizen_dossiers, citizen_route
from motcua.dossiers.models import Dossier, DossierDraft, DossierState, ReceptionNotice
from motcua.dossiers.services import GuidanceItem, ReceivedComponent
from motcua.dossiers.tests.helpers import all_components, receive, version_of
from motcua.notifications.models import Message

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
BUSINESS = "1.001612"  # Đăng ký thành lập hộ kinh doanh: full online, ward desk
_PHONES = itertools.count(10000001)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def citizen(username: str = "nguoinop", *, id_number: str = "046090001111", verified: bool = False):
    return get_user_model().objects.create_user(
        username=username,
        password="motcua2026",
        full_name="Trần Văn Bình",
        email=f"{username}@example.vn",
        phone=f"09{next(_PHONES):08d}",
        is_citizen=True,
        id_number=id_number,
        id_number_verified=verified,
    )


def pdf(name: str = "giay-to.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def filled_draft(user: Any, national_code: str = BUSINESS) -> DossierDraft:
    draft = online.draft_start(user=user, version=version_of(national_code))
    version = draft.procedure_version
    values = {f.name: _sample(f) for f in _fields(version)}
    online.draft_save(
        draft=draft,
        applicant=draft.applicant | {"address": "5 Lê Lợi, phường Thuận Hóa"},
        form_data=values,
        result_channel="online",
    )
    for requirement in version.components.all():
        if requirement.is_mandatory:
            online.draft_attach(draft=draft, requirement_id=requirement.pk, uploaded=pdf())
    return draft


def _fields(version: Any) -> list[Any]:
    from motcua.lib.jsonform import form_fields

    return form_fields(version.form_schema)


def _sample(field: Any) -> Any:
    if field.choices:
        return field.choices[0][0]
    if field.kind in {"integer", "number"}:
        return str(int(field.minimum or 1))
    return {
        "checkbox": True,
        "integer": "1",
        "number": "1",
        "date": "2026-01-05",
        "email": "a@example.vn",
        "tel": "0905123456",
    }.get(field.kind, "Nội dung mẫu")


@pytest.fixture
def ward_desk(demo: Any) -> Any:
    return demo.ward_officer


@pytest.mark.django_db
class TestSubmission:
    def test_a_submitted_dossier_has_its_code_but_no_clock_until_accepted(self, ward_desk):
        user = citizen()
        with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=HUE), tick=False):
            submission = online.draft_submit(draft=filled_draft(user))
        dossier = submission.dossier
        assert dossier.state == DossierState.SUBMITTED_ONLINE
        assert dossier.national_status == 1
        assert dossier.received_at is None and dossier.due_at is None
        assert dossier.channel == "online" and dossier.applicant_user == user
        assert dossier.code.startswith("000.12.01.H57-261201-")
        # 3 working days from Tuesday 1 December if accepted then: Friday 4, end of day.
        assert submission.expected_due_at is not None
        assert submission.expected_due_at.astimezone(HUE).date().isoformat() == "2026-12-04"
        assert not DossierDraft.objects.filter(user=user).exists()
        assert {c.document.provenance for c in dossier.components.all()} == {
            Provenance.UPLOADED_BY_APPLICANT
        }
        assert Message.objects.filter(target_id=dossier.code, topic="dossier.submitted").exists()

    def test_submitting_the_same_draft_twice_gives_the_same_dossier(self, ward_desk):
        draft = filled_draft(citizen())
        first = online.draft_submit(draft=draft)
        again = online.draft_submit(draft=draft)
        assert again.replayed and again.dossier.pk == first.dossier.pk
        assert Dossier.objects.count() == 1

    def test_an_incomplete_draft_is_refused_with_every_problem_and_nothing_is_created(
        self, ward_desk
    ):
        user = citizen()
        draft = online.draft_start(user=user, version=version_of(BUSINESS))
        online.draft_save(
            draft=draft, applicant={"name": "", "id_number": "12"}, form_data={}, result_channel=""
        )
        with pytest.raises(ValidationFailed) as refused:
            online.draft_submit(draft=draft)
        fields = refused.value.extra["fields"]
        assert "applicant_name" in fields
        assert any(key.startswith("component_") for key in fields)
        if _fields(draft.procedure_version):
            assert any(key.startswith("form_") for key in fields)
        assert not Dossier.objects.exists()
        assert DossierDraft.objects.filter(pk=draft.pk).exists()

    def test_a_file_that_is_not_what_its_name_says_is_refused_and_not_stored(self, ward_desk):
        draft = online.draft_start(user=citizen(), version=version_of(BUSINESS))
        requirement = draft.procedure_version.components.first()
        fake = SimpleUploadedFile("to-khai.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
        with pytest.raises(ValidationFailed):
            online.draft_attach(draft=draft, requirement_id=requirement.pk, uploaded=fake)
        assert not Document.objects.exists()
        draft.refresh_from_db()
        assert draft.attachments == {}

    def test_a_procedure_without_online_service_cannot_be_started(self, ward_desk):
        with pytest.raises(ValidationFailed):
            online.draft_start(user=citizen(), version=version_of("2.000884"))

    def test_results_online_only_for_full_online_procedures(self, ward_desk):
        draft = online.draft_start(user=citizen(), version=version_of("1.013831"))  # partial
        online.draft_save(draft=draft, applicant={}, form_data={}, result_channel="online")
        assert draft.result_channel == "desk"


@pytest.mark.django_db
class TestTheDeskDecides:
    def test_acceptance_starts_the_clock_and_the_route(self, ward_desk):
        with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=HUE), tick=False):
            dossier = online.draft_submit(draft=filled_draft(citizen())).dossier
        # Accepted on Thursday 3 December at 10:00: due Tuesday 8 December (3 working days).
        with time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=HUE), tick=False):
            accepted = online.online_accept(actor=ward_desk, code=dossier.code)
        assert accepted.state == DossierState.IN_PROCESSING
        assert accepted.received_at.astimezone(HUE) == datetime(2026, 12, 3, 10, 0, tzinfo=HUE)
        assert accepted.due_at.astimezone(HUE).date().isoformat() == "2026-12-08"
        assert accepted.original_due_at == accepted.due_at
        assert accepted.steps.filter(finished_at__isnull=True).exists()
        assert Message.objects.filter(target_id=dossier.code, topic="dossier.received").exists()
        assert Event.objects.filter(target_id=dossier.code, kind="dossier.received").exists()

    def test_only_the_receiving_desk_decides(self, demo):
        dossier = online.draft_submit(draft=filled_draft(citizen())).dossier
        for stranger in (demo.outsider, demo.reception_officer, demo.land_specialist):
            with pytest.raises(PermissionDenied):
                online.online_accept(actor=stranger, code=dossier.code)
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUBMITTED_ONLINE

    def test_a_dossier_is_accepted_once(self, ward_desk):
        dossier = online.draft_submit(draft=filled_draft(citizen())).dossier
        online.online_accept(actor=ward_desk, code=dossier.code)
        with pytest.raises(Conflict):
            online.online_accept(actor=ward_desk, code=dossier.code)

    def test_completion_request_then_the_citizen_sends_it_again(self, ward_desk):
        user = citizen()
        dossier = online.draft_submit(draft=filled_draft(user)).dossier
        notice = online.online_completion_request(
            actor=ward_desk,
            code=dossier.code,
            items=[GuidanceItem(name="Bản sao căn cước", reason="Ảnh chụp bị mờ")],
        )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.COMPLETION_REQUESTED
        assert dossier.national_status == 5
        assert notice.dossier == dossier and notice.kind == "guidance"
        assert dossier.received_at is None
        requirement = dossier.components.first().requirement
        online.online_resubmit(
            user=user, code=dossier.code, uploads=[(requirement.pk, pdf("ro.pdf"))]
        )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.SUBMITTED_ONLINE
        assert dossier.components.get(requirement=requirement).document.original_name == "ro.pdf"

    def test_completion_request_names_something_with_a_reason(self, ward_desk):
        dossier = online.draft_submit(draft=filled_draft(citizen())).dossier
        with pytest.raises(ValidationFailed):
            online.online_completion_request(
                actor=ward_desk, code=dossier.code, items=[GuidanceItem(name="X", reason="")]
            )
        assert not ReceptionNotice.objects.exists()

    def test_refusal_needs_a_reason_and_legal_basis_and_ends_the_dossier(self, ward_desk):
        dossier = online.draft_submit(draft=filled_draft(citizen())).dossier
        with pytest.raises(ValidationFailed):
            online.online_refuse(actor=ward_desk, code=dossier.code, reason="x", legal_basis="")
        online.online_refuse(
            actor=ward_desk,
            code=dossier.code,
            reason="Không thuộc thẩm quyền",
            legal_basis="Khoản 1 Điều 15 Nghị định 118/2025/NĐ-CP",
        )
        dossier.refresh_from_db()
        assert dossier.state == DossierState.REJECTED and dossier.due_at is None


@pytest.mark.django_db
class TestAfterwards:
    def test_withdrawal_before_acceptance_is_immediate(self, ward_desk):
        user = citizen()
        dossier = online.draft_submit(draft=filled_draft(user)).dossier
        with pytest.raises(ValidationFailed):
            online.online_withdraw(user=user, code=dossier.code, reason="  ")
        online.online_withdraw(user=user, code=dossier.code, reason="Nộp nhầm thủ tục")
        dossier.refresh_from_db()
        assert dossier.state == DossierState.STOPPED

    def test_withdrawal_after_acceptance_waits_for_the_agency(self, ward_desk):
        user = citizen()
        dossier = online.draft_submit(draft=filled_draft(user)).dossier
        online.online_accept(actor=ward_desk, code=dossier.code)
        online.online_withdraw(user=user, code=dossier.code, reason="Đổi ý")
        dossier.refresh_from_db()
        assert dossier.state == DossierState.WITHDRAWAL_REQUESTED

    def test_route_shows_done_current_and_planned_steps_with_dates(self, ward_desk):
        user = citizen()
        dossier = online.draft_submit(draft=filled_draft(user)).dossier
        online.online_accept(actor=ward_desk, code=dossier.code)
        route = citizen_route(dossier=citizen_dossier_get(user=user, code=dossier.code))
        statuses = [row.status for row in route]
        assert statuses[0] == "done" and "current" in statuses and statuses[-1] == "planned"
        assert all(row.at is not None for row in route)
        planned = [row.at for row in route if row.status == "planned"]
        assert planned == sorted(planned)


@pytest.mark.django_db
class TestPrivacy:
    def test_a_citizen_sees_only_their_own_dossiers_and_drafts(self, ward_desk):
        owner, other = citizen(), citizen("hangxom", id_number="046090002222")
        draft = filled_draft(owner)
        with pytest.raises(NotFound):
            online.draft_get(user=other, draft_id=draft.pk)
        dossier = online.draft_submit(draft=draft).dossier
        assert list(citizen_dossiers(user=other)) == []
        with pytest.raises(NotFound):
            citizen_dossier_get(user=other, code=dossier.code)
        for act in (online.online_resubmit, online.online_supplement):
            with pytest.raises(NotFound):
                act(user=other, code=dossier.code, uploads=[(None, pdf())])
        with pytest.raises(NotFound):
            online.online_withdraw(user=other, code=dossier.code, reason="x")

    def test_counter_dossiers_show_up_only_under_a_verified_id_number(self, ward_desk):
        counter = receive(ward_desk, BUSINESS)
        claimed = citizen("mao-danh", id_number=counter.applicant_id_number, verified=False)
        assert list(citizen_dossiers(user=claimed)) == []
        vouched = citizen("that", id_number=counter.applicant_id_number, verified=True)
        assert list(citizen_dossiers(user=vouched)) == [counter]

    def test_officers_are_not_citizens(self, demo):
        assert list(citizen_dossiers(user=demo.reception_officer)) == []


@pytest.mark.django_db
class TestDocumentReuse:
    def test_a_scan_checked_at_the_counter_is_reused_without_uploading(self, ward_desk):
        counter = receive(
            ward_desk,
            BUSINESS,
            components=scanned_first(version_of(BUSINESS), scan=pdf("can-cuoc.pdf")),
        )
        scanned = counter.components.get(document__isnull=False).document
        assert scanned.provenance == Provenance.SCANNED_AT_COUNTER
        assert scanned.owner_id_number == counter.applicant_id_number
        user = citizen("chu", id_number=counter.applicant_id_number, verified=True)
        assert list(citizen_documents(user=user)) == [scanned]
        draft = filled_draft(user)
        requirement = draft.procedure_version.components.first()
        online.draft_reuse(draft=draft, requirement_id=requirement.pk, document_id=scanned.pk)
        dossier = online.draft_submit(draft=draft).dossier
        component = dossier.components.get(requirement=requirement)
        assert component.reused and component.document == scanned
        assert Event.objects.get(kind="dossier.submitted").data["reused"] == [requirement.pk]

    def test_nobody_reuses_someone_elses_document(self, ward_desk):
        counter = receive(
            ward_desk,
            BUSINESS,
            components=scanned_first(version_of(BUSINESS), scan=pdf()),
        )
        scanned = counter.components.get(document__isnull=False).document
        thief = citizen("ke-gian", id_number=counter.applicant_id_number, verified=False)
        draft = filled_draft(thief)
        requirement = draft.procedure_version.components.first()
        with pytest.raises(NotFound):
            online.draft_reuse(draft=draft, requirement_id=requirement.pk, document_id=scanned.pk)

    def test_own_uploads_are_not_in_the_store_until_verified(self, ward_desk):
        user = citizen()
        filled_draft(user)
        assert list(citizen_documents(user=user)) == []


def scanned_first(version: Any, *, scan: Any) -> list[Any]:
    """Every component ticked at the counter, the first one scanned."""
    first, *rest = all_components(version)
    return [ReceivedComponent(requirement_id=first.requirement_id, scan=scan), *rest]
