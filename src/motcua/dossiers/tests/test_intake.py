from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from motcua.audit.models import Event
from motcua.audit.services import event_chain_verify
from motcua.calendars.models import OverrideKind
from motcua.calendars.services import calendar_override_add
from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.dossiers.models import Dossier, DossierComponent, DossierState, ReceptionNotice
from motcua.dossiers.selectors import dossier_list
from motcua.dossiers.services import (
    ApplicantData,
    GuidanceItem,
    ReceivedComponent,
    dossier_receive,
    intake_fingerprint,
    reception_guidance_issue,
    reception_refusal_issue,
)
from motcua.dossiers.tests.helpers import CITIZEN, all_components, receive, version_of
from motcua.notifications.models import Message

# Real procedures of the demo catalogue (src/motcua/catalog/data/hue_catalog.yaml).
LAND_FIRST_REGISTRATION = "1.013978"
CERTIFIED_COPY = "2.000815"
CENTER = "000.00.01.H57"
VN = timedelta(hours=7)


def local(*args: int) -> datetime:
    """A wall-clock time in Vietnam, as an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC) - VN


def rows() -> tuple[int, int, int, int]:
    return (
        Dossier.objects.count(),
        Event.objects.count(),
        Message.objects.count(),
        DossierComponent.objects.count(),
    )


@pytest.mark.django_db
class TestAccept:
    def test_it_gives_the_code_appointment_and_audit_event_of_a_complete_dossier(self, demo):
        with time_machine.travel(local(2026, 4, 14, 9, 0), tick=False):
            dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        assert dossier.code == f"{CENTER}-260414-0001"
        # Received, and transferred to the land office at once (electronic transfer).
        assert dossier.state == DossierState.IN_PROCESSING
        assert dossier.national_status == 4
        assert dossier.original_due_at == dossier.due_at
        assert len(dossier.lookup_secret) == 8
        event = Event.objects.get(kind="dossier.received", target_id=dossier.code)
        assert event.actor == demo.reception_officer
        assert event_chain_verify().ok

    def test_it_numbers_codes_without_gaps_per_unit_and_day(self, demo):
        with time_machine.travel(local(2026, 4, 14, 9, 0), tick=False):
            first = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
            with pytest.raises(ValidationFailed):
                receive(demo.reception_officer, LAND_FIRST_REGISTRATION, components=[])
            second = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        with time_machine.travel(local(2026, 4, 15, 8, 0), tick=False):
            next_day = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        assert [first.code[-4:], second.code[-4:]] == ["0001", "0002"]
        assert next_day.code == f"{CENTER}-260415-0001"

    def test_it_queues_a_message_to_the_applicant_in_the_same_transaction(self, demo):
        dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        messages = Message.objects.filter(target_id=dossier.code)
        assert {m.channel for m in messages} == {"email", "sms"}
        assert all(dossier.lookup_secret in m.body and dossier.code in m.body for m in messages)

    def test_it_resolves_an_on_the_spot_procedure_at_once(self, demo):
        dossier = receive(demo.ward_officer, CERTIFIED_COPY)
        assert dossier.state == DossierState.RESOLVED
        assert dossier.resolved_at == dossier.received_at
        assert Event.objects.filter(target_id=dossier.code, kind="dossier.resolved").exists()

    def test_it_keeps_the_scan_of_a_component_with_its_provenance(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        first, *rest = version.components.all()
        scan = SimpleUploadedFile(
            "../../etc/don-de-nghi.pdf", b"%PDF-1.7\n%test\n", "application/pdf"
        )
        components = [ReceivedComponent(requirement_id=first.pk, scan=scan)] + [
            ReceivedComponent(requirement_id=c.pk) for c in rest
        ]
        dossier, _ = dossier_receive(
            actor=demo.reception_officer, version=version, applicant=CITIZEN, components=components
        )
        document = dossier.components.get(requirement=first).document
        assert document.original_name == "don-de-nghi.pdf"
        assert document.provenance == "scanned_at_counter"
        assert document.verified_by == demo.reception_officer


@pytest.mark.django_db
class TestRefusedInput:
    def test_it_refuses_an_incomplete_dossier_and_writes_nothing(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        before = rows()
        with pytest.raises(ValidationFailed) as refused:
            dossier_receive(
                actor=demo.reception_officer,
                version=version,
                applicant=CITIZEN,
                components=all_components(version)[1:],
            )
        assert refused.value.code == "incomplete_dossier"
        assert rows() == before

    @pytest.mark.parametrize("id_number", ["04619000123", "04619000123X", "999190001234", ""])
    def test_it_refuses_a_malformed_citizen_id(self, demo, id_number):
        applicant = ApplicantData(name="Trần Văn B", id_number=id_number)
        before = rows()
        with pytest.raises(ValidationFailed) as refused:
            receive(demo.reception_officer, LAND_FIRST_REGISTRATION, applicant=applicant)
        assert refused.value.extra["field"] == "applicant_id_number"
        assert rows() == before

    def test_it_refuses_a_reception_time_on_another_day_or_in_the_future(self, demo):
        with time_machine.travel(local(2026, 4, 14, 9, 0), tick=False):
            for received_at in (
                local(2026, 4, 13, 9, 0),
                local(2026, 4, 14, 11, 0),
                local(2030, 1, 2, 9, 0),
            ):
                with pytest.raises(ValidationFailed):
                    receive(
                        demo.reception_officer, LAND_FIRST_REGISTRATION, received_at=received_at
                    )
        assert Dossier.objects.count() == 0

    def test_it_refuses_an_officer_of_another_center(self, demo):
        with pytest.raises(PermissionDenied):
            receive(demo.outsider, LAND_FIRST_REGISTRATION)
        with pytest.raises(PermissionDenied):
            receive(demo.land_specialist, LAND_FIRST_REGISTRATION)
        assert Dossier.objects.count() == 0

    def test_it_refuses_a_file_that_is_not_pdf_or_image_whatever_its_name(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        components = all_components(version)
        fake = SimpleUploadedFile("giay-to.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
        components[0] = ReceivedComponent(requirement_id=components[0].requirement_id, scan=fake)
        with pytest.raises(ValidationFailed) as refused:
            dossier_receive(
                actor=demo.reception_officer,
                version=version,
                applicant=CITIZEN,
                components=components,
            )
        assert refused.value.code == "upload_wrong_type"
        assert Dossier.objects.count() == 0

    def test_it_refuses_an_oversized_scan(self, demo, settings):
        settings.MOTCUA_UPLOAD_MAX_BYTES = 1024
        version = version_of(LAND_FIRST_REGISTRATION)
        components = all_components(version)
        big = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n" + b"0" * 2048, "application/pdf")
        components[0] = ReceivedComponent(requirement_id=components[0].requirement_id, scan=big)
        with pytest.raises(ValidationFailed) as refused:
            dossier_receive(
                actor=demo.reception_officer,
                version=version,
                applicant=CITIZEN,
                components=components,
            )
        assert refused.value.code == "upload_too_large"


@pytest.mark.django_db
class TestNotices:
    def test_it_lists_everything_missing_in_one_guidance_notice_and_accepts_nothing(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        mandatory = [c for c in version.components.all() if c.is_mandatory]
        items = [GuidanceItem(name=c.name, reason="Chưa nộp") for c in mandatory]
        notice = reception_guidance_issue(
            actor=demo.reception_officer,
            version=version,
            applicant=CITIZEN,
            items=items,
            legal_basis="Nghị định 118/2025/NĐ-CP",
        )
        assert [i["name"] for i in notice.items] == [c.name for c in mandatory]
        assert notice.number.startswith(f"{CENTER}-HD-")
        assert Dossier.objects.count() == 0
        assert Event.objects.filter(
            kind="reception.guidance_issued", target_id=notice.number
        ).exists()

    def test_it_requires_a_reason_and_legal_basis_to_refuse(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        with pytest.raises(ValidationFailed):
            reception_refusal_issue(
                actor=demo.reception_officer,
                version=version,
                applicant=CITIZEN,
                reason="",
                legal_basis="x",
            )
        with pytest.raises(ValidationFailed):
            reception_refusal_issue(
                actor=demo.reception_officer,
                version=version,
                applicant=CITIZEN,
                reason="x",
                legal_basis="",
            )
        notice = reception_refusal_issue(
            actor=demo.reception_officer,
            version=version,
            applicant=CITIZEN,
            reason="Thửa đất đang có tranh chấp",
            legal_basis="Điều 45 Luật Đất đai 2024",
        )
        assert notice.kind == "refusal"
        assert ReceptionNotice.objects.count() == 1
        assert Event.objects.filter(kind="reception.refused").count() == 1


@pytest.mark.django_db
class TestIdempotency:
    def test_it_returns_the_same_dossier_when_a_request_is_retried(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        fingerprint = intake_fingerprint({"a": 1})
        first, replayed_first = dossier_receive(
            actor=demo.reception_officer,
            version=version,
            applicant=CITIZEN,
            components=all_components(version),
            idempotency_key="k-1",
            fingerprint=fingerprint,
        )
        again, replayed_again = dossier_receive(
            actor=demo.reception_officer,
            version=version,
            applicant=CITIZEN,
            components=all_components(version),
            idempotency_key="k-1",
            fingerprint=fingerprint,
        )
        assert replayed_first is False
        assert again.pk == first.pk and replayed_again is True
        assert Dossier.objects.count() == 1

    def test_it_refuses_the_same_key_for_a_different_request(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        dossier_receive(
            actor=demo.reception_officer,
            version=version,
            applicant=CITIZEN,
            components=all_components(version),
            idempotency_key="k-2",
            fingerprint="a" * 64,
        )
        with pytest.raises(Conflict):
            dossier_receive(
                actor=demo.reception_officer,
                version=version,
                applicant=CITIZEN,
                components=all_components(version),
                idempotency_key="k-2",
                fingerprint="b" * 64,
            )
        assert Dossier.objects.count() == 1


@pytest.mark.django_db
class TestCalendarChanges:
    def test_it_never_moves_the_appointment_of_a_dossier_already_received(self, demo):
        with time_machine.travel(local(2026, 6, 1, 9, 0), tick=False):
            before = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        # The administrator declares the next working day a day off, after the first reception.
        with time_machine.travel(local(2026, 6, 1, 10, 0), tick=False):
            calendar_override_add(
                actor=demo.person("quantri"),
                day=datetime(2026, 6, 2).date(),
                kind=OverrideKind.DAY_OFF,
                note="Nghỉ đột xuất do bão",
            )
            after = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        before.refresh_from_db()
        assert before.due_at == before.original_due_at
        assert after.due_at.date() > before.due_at.date()


@pytest.mark.django_db
def test_it_finds_dossiers_by_applicant_name_without_diacritics(demo):
    dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    assert list(dossier_list(viewer=demo.reception_officer, search="nguyen thi hong nhung")) == [
        dossier
    ]
    assert list(dossier_list(viewer=demo.reception_officer, search="NGUYỄN THỊ HỒNG")) == [dossier]
    assert list(dossier_list(viewer=demo.reception_officer, search=dossier.code)) == [dossier]
    assert list(dossier_list(viewer=demo.outsider, search="nguyen")) == []


@pytest.mark.django_db
def test_it_detects_a_tampered_event_and_names_the_first_broken_link(demo):
    dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    event = Event.objects.get(kind="dossier.received", target_id=dossier.code)
    Event.objects.filter(pk=event.pk).update(reason="sửa lén")
    report = event_chain_verify()
    assert not report.ok
    assert report.broken_at == event.seq


@pytest.mark.django_db(transaction=True)
def test_it_keeps_codes_unique_and_gap_free_under_concurrent_intake(demo):
    officer = demo.reception_officer
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(4):
                receive(officer, LAND_FIRST_REGISTRATION)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(int(code[-4:]) for code in Dossier.objects.values_list("code", flat=True))
    assert sequences == list(range(1, 17))
    assert event_chain_verify().ok


@pytest.mark.django_db
class TestVersionInForce:
    def test_it_receives_only_under_the_version_in_force(self, demo):
        from pathlib import Path

        import yaml

        import motcua.catalog
        from motcua.catalog.services import procedure_version_publish

        old = version_of(LAND_FIRST_REGISTRATION)
        catalog_file = Path(motcua.catalog.__file__).parent / "data" / "hue_catalog.yaml"
        records = yaml.safe_load(catalog_file.read_text())["procedures"]
        record = next(r for r in records if r["national_code"] == LAND_FIRST_REGISTRATION)
        # A longer statutory time (the workflow's budgets still fit in it) is a new version.
        record["statutory_amount"] = 25
        procedure_version_publish(actor=None, record=record)
        with pytest.raises(ValidationFailed) as refused:
            dossier_receive(
                actor=demo.reception_officer,
                version=old,
                applicant=CITIZEN,
                components=all_components(old),
            )
        assert refused.value.code == "procedure_not_in_force"
        dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        assert dossier.procedure_version.number == 2

    def test_it_refuses_a_procedure_no_longer_applied(self, demo):
        version = version_of(LAND_FIRST_REGISTRATION)
        version.procedure.__class__.objects.filter(pk=version.procedure_id).update(is_active=False)
        with pytest.raises(ValidationFailed) as refused:
            dossier_receive(
                actor=demo.reception_officer,
                version=version,
                applicant=CITIZEN,
                components=all_components(version),
            )
        assert refused.value.code == "procedure_not_in_force"
        assert Dossier.objects.count() == 0


@pytest.mark.django_db
def test_it_keeps_the_public_timeline_in_step_with_the_event_log(demo):
    from motcua.dossiers.selectors import PUBLIC_MILESTONES

    dossiers = [
        receive(demo.reception_officer, LAND_FIRST_REGISTRATION),
        receive(demo.ward_officer, CERTIFIED_COPY),
    ]
    for dossier in dossiers:
        logged = list(
            Event.objects.filter(
                target_type="dossier", target_id=dossier.code, kind__in=list(PUBLIC_MILESTONES)
            )
            .order_by("seq")
            .values_list("kind", flat=True)
        )
        assert [entry["kind"] for entry in dossier.milestones] == logged
    assert [m["kind"] for m in dossiers[1].milestones] == ["dossier.received", "dossier.resolved"]
