"""A consultation is never where a dossier gets stuck: whether the consulted agency's step is a
workflow stage of its own (the ward's confirmation in the first land registration, 1.013978) or
a consultation an officer added, once it is answered an open dossier still has a step someone can
act on. Times are frozen on the real calendar (holidays package, no overrides)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.agencies.models import Unit
from motcua.catalog.models import StepKind
from motcua.core.errors import Conflict
from motcua.core.testing import sample_pdf
from motcua.dossiers.models import Dossier, DossierState, DossierStep, Handover
from motcua.dossiers.processing import (
    PaymentLine,
    consultation_reply,
    consultation_request,
    dossier_resolve,
    open_steps,
    payment_notice_issue,
    payment_record,
    step_forward,
)
from motcua.dossiers.tests.helpers import receive

LAND_FIRST_REGISTRATION = "1.013978"
BUILDING_PERMIT = "1.013225"
WARD = "000.00.12.H57"
VN = timedelta(hours=7)
# The applicant is the one to act in these states; every other open state needs an open step.
APPLICANT_TURN = {DossierState.SUPPLEMENT_REQUESTED, DossierState.AWAITING_PAYMENT}


def at(*args: int) -> Any:
    return time_machine.travel(datetime(*args, tzinfo=UTC) - VN, tick=False)


def person(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def assert_someone_can_act(dossier: Dossier) -> list[DossierStep]:
    """The invariant: an open dossier has an open step, unless it waits for the applicant."""
    fresh = Dossier.objects.get(pk=dossier.pk)
    steps = open_steps(fresh)
    if fresh.is_open and fresh.state not in APPLICANT_TURN:
        assert steps, f"{fresh.code} is {fresh.state} at stage {fresh.stage} with no open step"
    return steps


def open_codes(dossier: Dossier) -> list[str]:
    return [s.workflow_step.code if s.workflow_step else s.kind for s in open_steps(dossier)]


@pytest.fixture
def examined(demo: Any) -> Dossier:
    """A first land registration received Mon 1 Feb 2027, at the land office's examination."""
    with at(2027, 2, 1, 9, 0):
        dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    assert open_codes(dossier) == ["tham_dinh"]
    return dossier


def ward_confirms(dossier: Dossier) -> None:
    consultation_reply(
        actor=person("diachinhphuong"),
        code=dossier.code,
        opinion="Đất sử dụng ổn định, không có tranh chấp; đã niêm yết công khai.",
    )


@pytest.mark.django_db
class TestWardConfirmationStage:
    def test_the_answer_hands_the_dossier_on_to_the_tax_office(self, demo, examined):
        with at(2027, 2, 2, 9, 0):
            step_forward(actor=demo.land_specialist, code=examined.code)
        assert open_codes(examined) == ["xac_nhan_hien_trang"]
        assert_someone_can_act(examined)
        with at(2027, 2, 3, 9, 0):
            ward_confirms(examined)
        [step] = assert_someone_can_act(examined)
        assert step.workflow_step.code == "nghia_vu_tai_chinh"
        assert step.unit.code == "000.00.60.H57"
        fresh = Dossier.objects.get(pk=examined.pk)
        assert (fresh.state, fresh.stage) == (DossierState.IN_PROCESSING, step.stage)
        # One hand-over, from the ward to the tax office, with how the ward's step finished.
        ward = Unit.objects.get(code=WARD)
        [handover] = Handover.objects.filter(dossier=examined, from_unit=ward)
        assert handover.to_unit == step.unit
        assert (
            handover.timeliness == DossierStep.objects.get(dossier=examined, unit=ward).timeliness
        )

    def test_the_whole_route_always_leaves_someone_to_act(self, demo, examined):
        code = examined.code
        with at(2027, 2, 2, 9, 0):
            step_forward(actor=demo.land_specialist, code=code)
        with at(2027, 2, 3, 9, 0):
            ward_confirms(examined)
        assert_someone_can_act(examined)
        with at(2027, 2, 3, 10, 0):
            lines = [PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=2_000_000)]
            payment_notice_issue(actor=demo.tax_officer, code=code, lines=lines)
        assert Dossier.objects.get(pk=examined.pk).state == DossierState.AWAITING_PAYMENT
        assert open_codes(examined) == ["du_thao"]
        with at(2027, 2, 11, 9, 0):
            payment_record(actor=demo.reception_officer, code=code, receipt_number="BL-1")
        assert_someone_can_act(examined)
        with at(2027, 2, 11, 10, 0):
            step_forward(actor=demo.land_specialist, code=code)
        assert open_codes(examined) == ["ky_duyet"]
        with at(2027, 2, 12, 9, 0):
            step_forward(actor=demo.land_director, code=code)
        assert open_codes(examined) == ["phat_hanh"]
        with at(2027, 2, 15, 9, 0):
            dossier_resolve(
                actor=demo.land_specialist,
                code=code,
                result_number="CS 01",
                document=_result(),
            )
        fresh = Dossier.objects.get(pk=examined.pk)
        assert fresh.state == DossierState.RESOLVED
        assert open_codes(fresh) == ["tra_ket_qua"]


@pytest.mark.django_db
class TestAddedConsultation:
    """A consultation the examining officer adds stays in the examiner's stage: the answer goes
    back to the examiner, who forwards the dossier (not before)."""

    def _ask_police(self, demo: Any, dossier: Dossier) -> DossierStep:
        return consultation_request(
            actor=demo.land_specialist,
            code=dossier.code,
            unit=Unit.objects.get(code="000.00.70.H57.P01"),
            question="Xác minh nơi cư trú của người sử dụng đất",
            budget="1",
        )

    def test_answered_before_the_examination_is_forwarded(self, demo, examined):
        with at(2027, 2, 1, 10, 0):
            self._ask_police(demo, examined)
        with at(2027, 2, 2, 9, 0), pytest.raises(Conflict):
            step_forward(actor=demo.land_specialist, code=examined.code)
        with at(2027, 2, 2, 10, 0):
            consultation_reply(actor=demo.police_officer, code=examined.code, opinion="Đúng.")
        # Back to the examiner, who has not moved on yet.
        assert open_codes(examined) == ["tham_dinh"]
        with at(2027, 2, 2, 11, 0):
            step_forward(actor=demo.land_specialist, code=examined.code)
        assert open_codes(examined) == ["xac_nhan_hien_trang"]
        with at(2027, 2, 3, 9, 0):
            ward_confirms(examined)
        assert open_codes(examined) == ["nghia_vu_tai_chinh"]

    def test_the_examination_cannot_be_forwarded_past_an_open_consultation(self, demo, examined):
        with at(2027, 2, 1, 10, 0):
            self._ask_police(demo, examined)
        with at(2027, 2, 2, 9, 0), pytest.raises(Conflict) as caught:
            step_forward(actor=demo.land_specialist, code=examined.code)
        assert caught.value.code == "consultation_open"
        assert sorted(s.kind for s in assert_someone_can_act(examined)) == [
            StepKind.CONSULTATION,
            StepKind.HANDLING,
        ]

    def test_the_result_cannot_be_issued_past_an_open_consultation(self, demo, examined):
        code = examined.code
        with at(2027, 2, 2, 9, 0):
            step_forward(actor=demo.land_specialist, code=code)
        with at(2027, 2, 3, 9, 0):
            ward_confirms(examined)
        with at(2027, 2, 3, 10, 0):
            lines = [PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=2_000_000)]
            payment_notice_issue(actor=demo.tax_officer, code=code, lines=lines)
        with at(2027, 2, 11, 9, 0):
            payment_record(actor=demo.reception_officer, code=code, receipt_number="BL-1")
            step_forward(actor=demo.land_specialist, code=code)
        with at(2027, 2, 12, 9, 0):
            step_forward(actor=demo.land_director, code=code)
        with at(2027, 2, 15, 9, 0):
            self._ask_police(demo, examined)
        with at(2027, 2, 15, 10, 0), pytest.raises(Conflict) as caught:
            dossier_resolve(
                actor=demo.land_specialist, code=code, result_number="CS 01", document=_result()
            )
        assert caught.value.code == "consultation_open"
        fresh = Dossier.objects.get(pk=examined.pk)
        assert (fresh.state, fresh.resolved_at) == (DossierState.IN_PROCESSING, None)
        assert sorted(open_codes(fresh)) == sorted(["phat_hanh", StepKind.CONSULTATION])


@pytest.mark.django_db
class TestConsultationBesideTheExamination:
    """The building permit (1.013225) consults the construction department in parallel with the
    ward's examination: the answer goes back to the examiner, who then forwards."""

    def test_answer_first_then_forward(self, demo):
        with at(2027, 2, 1, 9, 0):
            dossier = receive(demo.ward_officer, BUILDING_PERMIT)
        assert sorted(open_codes(dossier)) == ["lay_y_kien", "tham_dinh"]
        examiner = person("kinhtephuong")
        with at(2027, 2, 2, 9, 0), pytest.raises(Conflict):
            step_forward(actor=examiner, code=dossier.code)
        with at(2027, 2, 2, 10, 0):
            consultation_reply(actor=person("soxaydung"), code=dossier.code, opinion="Phù hợp.")
        assert open_codes(dossier) == ["tham_dinh"]
        [answer] = Handover.objects.filter(dossier=dossier, from_unit__code="000.00.21.H57")
        assert answer.to_unit.code == "000.12.02.H57"
        with at(2027, 2, 2, 11, 0):
            step_forward(actor=examiner, code=dossier.code)
        assert open_codes(dossier) == ["du_thao"]


def _result() -> SimpleUploadedFile:
    return SimpleUploadedFile("ket-qua.pdf", sample_pdf(), content_type="application/pdf")
