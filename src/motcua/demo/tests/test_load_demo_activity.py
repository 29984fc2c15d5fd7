"""The demo's year of activity: what the supervision pages need is there, through the services."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from motcua.dossiers.models import Dossier, DossierState
from motcua.ratings.models import Rating
from motcua.reports.closing import period_check, period_close
from motcua.reports.operational import Measure
from motcua.reports.periods import Period
from motcua.reports.selectors import operational_report, report_scope_get

pytestmark = pytest.mark.django_db
OPEN = [
    DossierState.IN_PROCESSING,
    DossierState.SUPPLEMENT_REQUESTED,
    DossierState.AWAITING_PAYMENT,
]


@pytest.fixture
def activity(demo: Any) -> Any:
    call_command("load_demo_activity", "--dossiers", "60", stdout=StringIO())
    return demo


def _last_month() -> Period:
    today = timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return Period.of("month", year, month)


def test_it_spreads_finished_and_open_dossiers_over_the_year(activity):
    dossiers = Dossier.objects.exclude(received_at=None)
    months = {timezone.localtime(d.received_at).strftime("%Y-%m") for d in dossiers}
    assert len(months) >= 10
    assert not dossiers.filter(received_at__gt=timezone.now()).exists()
    assert dossiers.filter(timeliness="late").exists()
    assert dossiers.filter(timeliness="early").exists()
    assert dossiers.filter(state__in=OPEN, due_at__lt=timezone.now()).exists()
    assert dossiers.filter(supplement_count=2).exists()
    assert dossiers.filter(channel="online").exists()
    assert Rating.objects.filter(overall="dissatisfied").exists()
    assert Rating.objects.exclude(overall="dissatisfied").exists()


def test_it_gives_the_center_leader_a_report_that_agrees_with_itself(activity):
    leader, period = activity.center_leader, _last_month()
    scope = report_scope_get(viewer=leader)
    counted = operational_report(viewer=leader, period=period, scope=scope)
    assert counted.total[Measure.TO_PROCESS] > 0
    closed = period_close(period, now=timezone.now())
    assert period_check(closed, now=timezone.now()) == []
    again = operational_report(viewer=leader, period=period, scope=scope)
    assert again.closed_at is not None
    assert again.total.counts == counted.total.counts


def test_it_adds_nothing_the_second_time(activity):
    before = Dossier.objects.count()
    out = StringIO()
    call_command("load_demo_activity", "--dossiers", "60", stdout=out)
    assert Dossier.objects.count() == before
    assert "already" in out.getvalue()
