"""The alerts sweep: near-due and overdue steps told to the people the escalation rules name,
once each, as working hours pass (nights, weekends and Tết do not count)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from motcua.dossiers.processing import PaymentLine, payment_notice_issue, step_assign, step_forward
from motcua.notifications.models import Channel, Message
from motcua.supervision.models import Alert, EscalationRule, Subject, Trigger
from motcua.supervision.services import alerts_sweep, escalation_rule_save
from motcua.supervision.tests.helpers import (
    events,
    everyone_with_contacts,
    local,
    open_step,
    received,
    told,
)

pytestmark = pytest.mark.django_db


def sweep(*when: int) -> int:
    return alerts_sweep(now=local(*when))


@pytest.fixture
def dossier(demo: Any, rules: None) -> Any:
    everyone_with_contacts(demo)
    return received(demo.reception_officer)


def test_it_tells_the_assignee_once_when_a_step_comes_near_due(demo, dossier):
    with time_machine.travel(local(2027, 2, 1, 10, 0), tick=False):
        step_assign(
            actor=demo.land_head,
            code=dossier.code,
            step_id=open_step(dossier).pk,
            assignee=demo.land_specialist,
        )
    # 8.75 working hours left at 14:00 on Tuesday; 7.75 at 14:30.
    assert sweep(2027, 2, 2, 14, 0) == 0
    assert sweep(2027, 2, 2, 14, 30) == 1
    assert sweep(2027, 2, 2, 15, 0) == 0
    assert sweep(2027, 2, 2, 16, 59) == 0

    assert told() == {("chuyenvien", "assignee")}
    alert = Alert.objects.get()
    assert (alert.trigger, alert.step_id, alert.unit.code) == (
        Trigger.NEAR_DUE,
        open_step(dossier).pk,
        "000.20.30.H57.P01",
    )
    assert "sắp đến hạn" in alert.body and "hạn 14:45 03/02/2027" in alert.body
    assert f"/backoffice/ho-so/{dossier.code}/" in alert.body
    # The near-due rule sends email only; SMS is kept for the escalations.
    sent = Message.objects.filter(topic="supervision.alert")
    assert [(m.channel, m.recipient) for m in sent] == [(Channel.EMAIL, "chuyenvien@example.vn")]
    [event] = events("supervision.alert_sent")
    assert (event.target_id, event.data["trigger"]) == (dossier.code, "near_due")
    assert event.data["told"] == [{"user": "chuyenvien", "as": "assignee"}]


def test_overdue_escalates_along_the_rules_as_working_hours_pass_not_over_tet(demo, dossier):
    # Nobody assigned yet: the officers who may take the step are told.
    assert sweep(2027, 2, 2, 14, 30) == 1
    assert told(Trigger.NEAR_DUE) == {("chuyenvien", "assignee")}

    # Due Wed 3 Feb 14:45: at once, the assignee and the department head.
    assert sweep(2027, 2, 3, 14, 45) == 0
    assert sweep(2027, 2, 3, 15, 0) == 1
    assert told(Trigger.OVERDUE) == {("chuyenvien", "assignee"), ("truongphong", "department_head")}

    # 2.25 working hours late on Wednesday evening, then Tết: the clock of escalation stands.
    for day in (4, 5, 8, 9, 10):
        assert sweep(2027, 2, day, 16, 0) == 0
    # 8 working hours late at 15:15 on Thu 11 Feb: the agency's director.
    assert sweep(2027, 2, 11, 15, 0) == 0
    assert sweep(2027, 2, 11, 15, 15) == 1
    assert ("lanhdao", "agency_head") in told(Trigger.OVERDUE)
    # 16 working hours late at 15:45 on Fri 12 Feb: the center's leaders.
    assert sweep(2027, 2, 12, 15, 30) == 0
    assert sweep(2027, 2, 12, 15, 45) == 1
    assert ("giamdoc", "center_leader") in told(Trigger.OVERDUE)
    assert sweep(2027, 2, 15, 9, 0) == 0

    rules = list(Alert.objects.order_by("pk").values_list("rule__delay_hours", "rule__trigger"))
    assert rules == [(0, "near_due"), (0, "overdue"), (8, "overdue"), (16, "overdue")]
    # The escalations go by SMS as well.
    leader = Message.objects.filter(topic="supervision.alert", recipient__startswith="0905")
    assert sorted(m.recipient for m in leader) == ["0905000002", "0905000003"]
    assert len(events("supervision.alert_sent")) == 4


def test_a_weekend_does_not_count_towards_an_escalation(demo, rules):
    everyone_with_contacts(demo)
    # Received Wed 3 Mar 2027 09:00: the examination is due Fri 5 Mar 14:45.
    dossier = received(demo.reception_officer, at=local(2027, 3, 3, 9, 0))
    assert open_step(dossier).due_at == local(2027, 3, 5, 14, 45)
    assert sweep(2027, 3, 5, 15, 0) == 1
    # Saturday and Sunday: no working hour passes, the director is not told yet.
    assert sweep(2027, 3, 6, 12, 0) == 0
    assert sweep(2027, 3, 7, 23, 0) == 0
    # 2.25 working hours on Friday, 5.75 on Monday: 8 at 15:15.
    assert sweep(2027, 3, 8, 15, 0) == 0
    assert sweep(2027, 3, 8, 15, 15) == 1
    assert ("lanhdao", "agency_head") in told(Trigger.OVERDUE)


def test_nothing_is_sent_while_the_clock_is_paused(demo, dossier):
    with time_machine.travel(local(2027, 2, 2, 9, 0), tick=False):
        step_forward(actor=demo.land_specialist, code=dossier.code)
        payment_notice_issue(
            actor=demo.tax_officer,
            code=dossier.code,
            lines=[PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=500_000)],
        )
    assert sweep(2027, 3, 30, 9, 0) == 0
    assert not Alert.objects.exists()


def test_the_rules_in_the_database_decide_who_is_told(demo, dossier):
    EscalationRule.objects.filter(trigger=Trigger.NEAR_DUE).update(active=False)
    escalation_rule_save(
        actor=demo.person("quantri"),
        rule=EscalationRule(
            name="Sắp đến hạn 2 giờ: báo lãnh đạo Trung tâm",
            subject=Subject.STEP,
            trigger=Trigger.NEAR_DUE,
            delay_hours=2,
            tell_center_leaders=True,
            by_sms=True,
        ),
    )
    # Near due from 14:15 on Tuesday; two working hours later is 16:15.
    assert sweep(2027, 2, 2, 14, 30) == 0
    assert sweep(2027, 2, 2, 16, 15) == 1
    assert told() == {("giamdoc", "center_leader")}
    sent = {(m.channel, m.recipient) for m in Message.objects.filter(topic="supervision.alert")}
    assert sent == {(Channel.EMAIL, "giamdoc@example.vn"), (Channel.SMS, "0905000003")}
    [change] = events("supervision.rule_created")
    assert change.data["tell_center_leaders"] is True and change.actor.username == "quantri"


def test_a_rule_on_the_dossier_tells_when_its_legal_due_date_passes(demo, dossier):
    EscalationRule.objects.filter(subject=Subject.STEP).update(active=False)
    # The dossier (8 working days from Tue 2 Feb, Tết excluded) is due Thu 18 Feb.
    assert sweep(2027, 2, 18, 16, 0) == 0
    assert sweep(2027, 2, 19, 8, 0) == 1
    assert told() == {("lanhdao", "agency_head"), ("giamdoc", "center_leader")}
    alert = Alert.objects.get()
    assert alert.step is None and "quá hạn trả kết quả" in alert.body


def test_the_command_runs_the_sweep_through_the_task_framework(settings, demo, dossier):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with time_machine.travel(local(2027, 2, 3, 15, 0), tick=False):
        call_command("alerts_sweep")
    assert told(Trigger.OVERDUE) == {("chuyenvien", "assignee"), ("truongphong", "department_head")}
