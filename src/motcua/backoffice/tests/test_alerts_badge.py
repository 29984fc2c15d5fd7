"""The badge of new alerts in the back office's navigation: what it counts, that opening the
alerts page clears it, and what it costs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from motcua.supervision.models import AlertReadMark, AlertRecipient
from motcua.supervision.selectors import alert_unseen_count
from motcua.supervision.services import alerts_mark_read, alerts_sweep
from motcua.supervision.tests.helpers import default_rules, local, received

pytestmark = pytest.mark.django_db
ALERTS = reverse("backoffice:alerts")
WORKLIST = reverse("backoffice:worklist")
# Received Mon 1 Feb 2027 09:00: the examination is near due from Tue 2 Feb 14:15 and overdue
# from Wed 3 Feb 14:45; by Fri 12 Feb 16:00 every step rule has fired.
NEAR = local(2027, 2, 3, 9, 0)
LATE = local(2027, 2, 12, 16, 0)


def badge(client: Any) -> int:
    """The number next to "Cảnh báo" in the navigation of a back-office page (0: no badge)."""
    html = client.get(WORKLIST).content.decode()
    found = re.search(r'id="alerts-unseen"[^>]*>(\d+)</span>', html)
    return int(found.group(1)) if found else 0


@pytest.fixture(autouse=True)
def _late() -> Any:
    # The pages are looked at after every sweep (a session opened in 2026 would have expired).
    with time_machine.travel(LATE, tick=False):
        yield


@pytest.fixture
def specialist(client: Any, demo: Any) -> Any:
    default_rules()
    received(demo.reception_officer)
    client.force_login(demo.land_specialist)
    return demo.land_specialist


def test_it_counts_the_unread_alerts_sent_to_the_officer(client, demo, specialist):
    assert badge(client) == 0
    alerts_sweep(now=NEAR)
    told = AlertRecipient.objects.filter(user=specialist).count()
    assert told >= 1

    assert badge(client) == told == alert_unseen_count(viewer=specialist)
    # Someone else's alerts are not theirs.
    assert alert_unseen_count(viewer=demo.reception_officer) == 0


def test_opening_the_alerts_page_clears_it_until_a_new_alert_comes(client, specialist):
    alerts_sweep(now=NEAR)
    page = client.get(ALERTS).content.decode()
    assert 'id="alerts-unseen"' not in page
    assert badge(client) == 0
    # Seen is not read: the page still lists them as not read.
    assert AlertRecipient.objects.filter(user=specialist, read_at__isnull=True).exists()
    mark = AlertReadMark.objects.get(user=specialist).seen_through

    alerts_sweep(now=LATE)
    new = AlertRecipient.objects.filter(user=specialist, pk__gt=mark).count()
    assert new >= 1
    assert badge(client) == new
    client.get(ALERTS)
    assert badge(client) == 0


def test_an_alert_marked_read_is_no_longer_new(client, specialist):
    alerts_sweep(now=LATE)
    before = alert_unseen_count(viewer=specialist)
    first = AlertRecipient.objects.filter(user=specialist).order_by("pk").first()
    assert first is not None
    alerts_mark_read(actor=specialist, alert_ids=[first.alert_id])
    assert alert_unseen_count(viewer=specialist) == before - 1


def test_the_count_is_one_query_and_only_on_an_officers_back_office_page(
    client, demo, specialist, django_assert_num_queries
):
    alerts_sweep(now=LATE)
    with django_assert_num_queries(1):
        alert_unseen_count(viewer=specialist)

    with CaptureQueriesContext(connection) as with_badge:
        client.get(WORKLIST)
    AlertRecipient.objects.filter(user=specialist).delete()
    with CaptureQueriesContext(connection) as without_alerts:
        client.get(WORKLIST)
    counted = [q["sql"] for q in with_badge.captured_queries if "alertrecipient" in q["sql"]]
    assert len(counted) == 1
    assert len(with_badge.captured_queries) == len(without_alerts.captured_queries)

    # The portal and the login page do not count.
    with CaptureQueriesContext(connection) as portal:
        client.get(reverse("portal:transparency_board"))
    client.logout()
    with CaptureQueriesContext(connection) as login:
        client.get(reverse("backoffice:login"))
    for captured in (portal, login):
        assert not [q for q in captured.captured_queries if "alertrecipient" in q["sql"]]
