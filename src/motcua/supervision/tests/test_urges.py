"""Urging an agency about one dossier or a batch: for the center's leaders and the procedure
controllers only, recorded in each dossier's event log and sent to the agency's people."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model

from motcua.agencies.models import Unit
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.processing import withdrawal_confirm, withdrawal_request
from motcua.notifications.models import Message
from motcua.supervision.models import Urge, UrgeRecipient
from motcua.supervision.services import urge_send, urges_send
from motcua.supervision.tests.helpers import (
    PERMANENT_RESIDENCE,
    WARD_PROCEDURE,
    events,
    everyone_with_contacts,
    local,
    received,
)

pytestmark = pytest.mark.django_db
MESSAGE = "Đề nghị khẩn trương giải quyết, hồ sơ đã quá hạn."


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


@pytest.fixture
def dossier(demo: Any, rules: None) -> Any:
    everyone_with_contacts(demo)
    return received(demo.reception_officer)


def nothing_recorded() -> bool:
    return (
        not Urge.objects.exists()
        and not events("supervision.urged")
        and not Message.objects.filter(topic="supervision.urge").exists()
    )


def test_a_center_leader_urges_the_agency_holding_the_dossier(demo, dossier):
    with time_machine.travel(local(2027, 2, 11, 9, 0), tick=False):
        # Named by its department, the urge goes to the agency it belongs to.
        urge = urge_send(
            actor=demo.center_leader,
            unit=unit("000.20.30.H57.P01"),
            dossiers=[dossier],
            message=f"  {MESSAGE} ",
        )
    assert (urge.unit.code, urge.urged_by_role, urge.message) == (
        "000.20.30.H57",
        "center_leader",
        MESSAGE,
    )
    assert [d.code for d in urge.dossiers.all()] == [dossier.code]
    recipients = {(r.user.username, r.audience) for r in UrgeRecipient.objects.all()}
    assert recipients == {
        ("chuyenvien", "assignee"),
        ("truongphong", "department_head"),
        ("lanhdao", "agency_head"),
    }
    [event] = events("supervision.urged")
    assert (event.target_id, event.actor.username, event.reason) == (
        dossier.code,
        "giamdoc",
        MESSAGE,
    )
    assert event.data["unit"] == "000.20.30.H57"
    sent = Message.objects.filter(topic="supervision.urge", target_id=str(urge.pk))
    assert sorted(m.recipient for m in sent) == [
        "0905000000",
        "0905000001",
        "0905000002",
        "chuyenvien@example.vn",
        "lanhdao@example.vn",
        "truongphong@example.vn",
    ]
    body = sent.first().body
    assert "Lê Minh Tâm" in body and dossier.code in body and MESSAGE in body


def test_a_batch_sends_one_urge_per_agency_and_an_event_per_dossier(demo, dossier):
    second = received(demo.reception_officer)
    police = received(demo.reception_officer, PERMANENT_RESIDENCE)
    urges = urges_send(
        actor=demo.center_leader, dossiers=[dossier.code, police.code, second.code], message=MESSAGE
    )
    assert [(u.unit.code, sorted(d.code for d in u.dossiers.all())) for u in urges] == [
        ("000.20.30.H57", sorted([dossier.code, second.code])),
        ("000.00.70.H57", [police.code]),
    ]
    assert sorted(e.target_id for e in events("supervision.urged")) == sorted(
        [dossier.code, second.code, police.code]
    )
    police_told = {r.user.username for r in UrgeRecipient.objects.filter(urge=urges[1])}
    assert police_told == {"congan", "truongcongan"}


def test_a_procedure_controller_may_urge(demo, dossier):
    urge = urge_send(
        actor=demo.person("kiemsoat"),
        unit=unit("000.20.30.H57"),
        dossiers=[dossier],
        message=MESSAGE,
    )
    assert urge.urged_by_role == "procedure_controller"


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("chuyenvien", PermissionDenied),
        ("truongphong", PermissionDenied),
        ("lanhdao", PermissionDenied),
        ("tiepnhan", PermissionDenied),
        ("phuxuan", PermissionDenied),
        # The leader of another center: Huế's dossiers are not theirs to urge.
        ("giamdocphuong", NotFound),
        ("congdan", PermissionDenied),
    ],
)
def test_anyone_else_is_refused_and_nothing_is_recorded(demo, dossier, who, error):
    actor = get_user_model().objects.get(username=who)
    with pytest.raises(error):
        urge_send(actor=actor, unit=unit("000.20.30.H57"), dossiers=[dossier], message=MESSAGE)
    with pytest.raises(error):
        urges_send(actor=actor, dossiers=[dossier.code], message=MESSAGE)
    assert nothing_recorded()


def test_a_citizen_with_a_membership_is_still_refused(demo, dossier):
    citizen = get_user_model().objects.get(username="congdan")
    citizen.memberships.create(unit=unit("000.00.01.H57"), role="center_leader")
    with pytest.raises(PermissionDenied):
        urge_send(actor=citizen, unit=unit("000.20.30.H57"), dossiers=[dossier], message=MESSAGE)
    assert nothing_recorded()


def test_the_leader_of_a_ward_center_urges_its_own_dossiers(demo, rules):
    ward = received(demo.ward_officer, WARD_PROCEDURE)
    urge = urges_send(actor=demo.person("giamdocphuong"), dossiers=[ward], message=MESSAGE)[0]
    assert urge.unit.code == "000.00.12.H57"


def test_it_refuses_an_agency_that_does_not_hold_the_dossier(demo, dossier):
    with pytest.raises(ValidationFailed) as refused:
        urge_send(
            actor=demo.center_leader,
            unit=unit("000.00.70.H57"),
            dossiers=[dossier],
            message=MESSAGE,
        )
    assert "không giải quyết hồ sơ" in str(refused.value.message)
    assert nothing_recorded()


def test_it_refuses_an_empty_message_or_no_dossier(demo, dossier):
    with pytest.raises(ValidationFailed):
        urges_send(actor=demo.center_leader, dossiers=[dossier], message="   ")
    with pytest.raises(ValidationFailed):
        urges_send(actor=demo.center_leader, dossiers=[], message=MESSAGE)
    assert nothing_recorded()


def test_it_refuses_a_dossier_that_has_ended(demo, dossier):
    withdrawal_request(actor=demo.reception_officer, code=dossier.code, reason="Không làm nữa")
    withdrawal_confirm(actor=demo.land_head, code=dossier.code)
    with pytest.raises(Conflict):
        urges_send(actor=demo.center_leader, dossiers=[dossier], message=MESSAGE)
    assert nothing_recorded()
