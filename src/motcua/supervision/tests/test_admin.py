"""The escalation rules are edited in the admin, through the service that logs each change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from motcua.supervision.models import EscalationRule, Trigger
from motcua.supervision.tests.helpers import events

pytestmark = pytest.mark.django_db


def rule_form(rule: EscalationRule, **changes: object) -> dict[str, object]:
    fields = {
        "name": rule.name,
        "subject": rule.subject,
        "trigger": rule.trigger,
        "delay_hours": rule.delay_hours,
        "active": "on" if rule.active else "",
        "tell_assignee": "on" if rule.tell_assignee else "",
        "tell_department_head": "on" if rule.tell_department_head else "",
        "tell_agency_head": "on" if rule.tell_agency_head else "",
        "tell_center_leaders": "on" if rule.tell_center_leaders else "",
        "by_email": "on" if rule.by_email else "",
        "by_sms": "on" if rule.by_sms else "",
    }
    return {key: value for key, value in {**fields, **changes}.items() if value != ""}


def test_the_default_rules_are_there_and_a_change_is_logged(client, demo, rules):
    client.force_login(demo.person("quantri"))
    assert client.get(reverse("admin:supervision_escalationrule_changelist")).status_code == 200
    rule = EscalationRule.objects.get(trigger=Trigger.OVERDUE, delay_hours=16)
    url = reverse("admin:supervision_escalationrule_change", args=[rule.pk])
    response = client.post(url, rule_form(rule, delay_hours=24, tell_agency_head="on"))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.delay_hours, rule.tell_agency_head, rule.tell_center_leaders) == (24, True, True)
    [change] = events("supervision.rule_changed")
    assert change.data["delay_hours"] == 24 and change.actor.username == "quantri"


def test_a_rule_must_tell_someone_and_a_near_due_delay_must_fit(client, demo, rules):
    client.force_login(demo.person("quantri"))
    rule = EscalationRule.objects.get(trigger=Trigger.NEAR_DUE)
    url = reverse("admin:supervision_escalationrule_change", args=[rule.pk])
    nobody = client.post(url, rule_form(rule, tell_assignee=""))
    assert nobody.status_code == 200 and "Chọn ít nhất một đối tượng" in nobody.content.decode()
    too_late = client.post(url, rule_form(rule, delay_hours=9))
    assert too_late.status_code == 200 and "hãy chọn từ 0 đến 8 giờ" in too_late.content.decode()
    assert not events("supervision.rule_changed")
