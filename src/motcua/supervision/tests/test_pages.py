"""The back-office pages: an officer's alerts, the center's board with the batch urge, the urge
of one dossier, the urges sent and received. Each shows only what the viewer may see."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from motcua.notifications.models import Message
from motcua.supervision.models import AlertRecipient, Urge
from motcua.supervision.services import alerts_sweep
from motcua.supervision.tests.helpers import (
    WARD_PROCEDURE,
    events,
    everyone_with_contacts,
    local,
    received,
)

pytestmark = pytest.mark.django_db
ALERTS = reverse("backoffice:alerts")
URGES = reverse("backoffice:urges")
MESSAGE = "Đề nghị khẩn trương giải quyết."
# Fri 12 Feb 2027 16:00: every step rule has fired for a dossier received Mon 1 Feb.
LATE = local(2027, 2, 12, 16, 0)


def as_user(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


@pytest.fixture
def dossier(demo: Any, rules: None) -> Any:
    everyone_with_contacts(demo)
    dossier = received(demo.reception_officer)
    alerts_sweep(now=LATE)
    return dossier


@pytest.fixture(autouse=True)
def _late() -> Any:
    with time_machine.travel(LATE, tick=False):
        yield


def board(response: Any) -> str:
    """The center's board, without the viewer's own alerts above it."""
    return response.content.decode().partition('id="board-title"')[2]


def nothing_urged() -> bool:
    return not Urge.objects.exists() and not events("supervision.urged")


class TestAlerts:
    def test_an_officer_sees_the_alerts_sent_to_them_and_marks_them_read(
        self, client, demo, dossier
    ):
        page = as_user(client, demo.land_specialist).get(ALERTS).content.decode()
        assert dossier.code in page and "đã quá hạn" in page
        assert "1 chưa xem" in page
        # The center's board is for its leadership.
        assert 'name="dossier"' not in page
        response = client.post(reverse("backoffice:alerts_read"), {"all": "1"})
        assert response.status_code == 302
        assert not AlertRecipient.objects.filter(
            user=demo.land_specialist, read_at__isnull=True
        ).exists()
        # Someone else's alerts are untouched.
        assert AlertRecipient.objects.filter(user=demo.land_head, read_at__isnull=True).exists()

    def test_the_center_leader_sees_the_board_with_who_was_told(self, client, demo, dossier):
        page = as_user(client, demo.center_leader).get(ALERTS).content.decode()
        assert f'name="dossier" value="{dossier.code}"' in page
        assert "Chi nhánh Văn phòng Đăng ký đất đai thành phố Huế" in page
        for name in ("Nguyễn Văn Bình", "Phạm Thị Lan", "Hoàng Quốc Việt", "Lê Minh Tâm"):
            assert name in page
        # 2.25 + 7.5 + 6.5 working hours late, in days of 7.5 hours.
        assert "quá 2 ngày 1,2 giờ" in page
        assert reverse("backoffice:dossier_urge", args=[dossier.code]) in page

    def test_the_board_filters_near_due_from_overdue(self, client, demo, dossier):
        # Its examination is due Mon 15 Feb 14:45: 6.25 working hours left.
        near = received(demo.reception_officer, at=local(2027, 2, 11, 9, 0))
        as_user(client, demo.center_leader)
        overdue = board(client.get(ALERTS, {"urgency": "overdue"}))
        assert dossier.code in overdue and near.code not in overdue
        near_due = board(client.get(ALERTS, {"urgency": "near"}))
        assert near.code in near_due and dossier.code not in near_due
        both = board(client.get(ALERTS))
        assert near.code in both and dossier.code in both

    def test_an_outsider_or_another_center_sees_nothing_of_hue(self, client, demo, dossier):
        ward = received(demo.ward_officer, WARD_PROCEDURE, at=local(2027, 2, 1, 9, 0))
        for who in ("phuxuan", "giamdocphuong"):
            user = get_user_model().objects.get(username=who)
            for url in (ALERTS, URGES):
                page = as_user(client, user).get(url)
                assert page.status_code == 200
                assert dossier.code not in page.content.decode()
        # The ward's own leader sees the ward's late dossier on their board.
        assert ward.code in client.get(ALERTS).content.decode()

    def test_the_board_costs_the_same_queries_for_more_dossiers(
        self, client, demo, dossier, django_assert_max_num_queries
    ):
        as_user(client, demo.center_leader).get(ALERTS)
        with django_assert_max_num_queries(18) as one:
            client.get(ALERTS)
        for _ in range(4):
            received(demo.reception_officer)
        alerts_sweep(now=LATE)
        with django_assert_max_num_queries(len(one.captured_queries)):
            page = client.get(ALERTS).content.decode()
        assert page.count('name="dossier"') == 5


class TestUrges:
    def test_the_center_leader_urges_a_batch_from_the_board(self, client, demo, dossier):
        second = received(demo.reception_officer)
        response = as_user(client, demo.center_leader).post(
            URGES, {"dossier": [dossier.code, second.code], "message": MESSAGE}
        )
        assert response.status_code == 302 and response["Location"] == URGES
        urge = Urge.objects.get()
        assert sorted(d.code for d in urge.dossiers.all()) == sorted([dossier.code, second.code])
        assert len(events("supervision.urged")) == 2
        assert dossier.code in client.get(URGES).content.decode()
        # The agency urged sees it among the urges it received.
        received_page = as_user(client, demo.land_director).get(URGES).content.decode()
        assert dossier.code in received_page and MESSAGE in received_page

    def test_a_batch_without_a_dossier_is_sent_back_with_a_reason(self, client, demo, dossier):
        response = as_user(client, demo.center_leader).post(URGES, {"message": MESSAGE})
        assert response.status_code == 302 and response["Location"] == ALERTS
        assert "Chọn ít nhất một hồ sơ" in client.get(ALERTS).content.decode()
        assert nothing_urged()

    def test_one_dossier_is_urged_from_its_own_page(self, client, demo, dossier):
        url = reverse("backoffice:dossier_urge", args=[dossier.code])
        page = as_user(client, demo.center_leader).get(url).content.decode()
        assert "Chi nhánh Văn phòng Đăng ký đất đai thành phố Huế" in page
        agency = demo.land_director.memberships.get().unit
        response = client.post(url, {"unit": agency.pk, "message": MESSAGE})
        assert response.status_code == 302
        assert response["Location"] == reverse("backoffice:dossier", args=[dossier.code])
        assert Urge.objects.get().unit == agency
        assert Message.objects.filter(topic="supervision.urge").exists()
        assert MESSAGE in client.get(url).content.decode()

    def test_an_empty_message_is_refused_on_the_page(self, client, demo, dossier):
        url = reverse("backoffice:dossier_urge", args=[dossier.code])
        agency = demo.land_director.memberships.get().unit
        response = as_user(client, demo.center_leader).post(url, {"unit": agency.pk, "message": ""})
        assert response.status_code == 400
        assert "Hãy nhập nội dung đôn đốc" in response.content.decode()
        assert nothing_urged()

    @pytest.mark.parametrize(
        ("who", "status"),
        [("chuyenvien", 403), ("lanhdao", 403), ("phuxuan", 403), ("giamdocphuong", 404)],
    )
    def test_anyone_else_is_refused_and_nothing_is_recorded(
        self, client, demo, dossier, who, status
    ):
        user = get_user_model().objects.get(username=who)
        url = reverse("backoffice:dossier_urge", args=[dossier.code])
        as_user(client, user)
        assert client.get(url).status_code == status
        assert client.post(url, {"message": MESSAGE}).status_code == status
        response = client.post(URGES, {"dossier": [dossier.code], "message": MESSAGE})
        assert response.status_code == status
        assert dossier.applicant_name not in response.content.decode()
        assert nothing_urged()

    def test_a_citizen_is_refused_everywhere(self, client, demo, dossier):
        citizen = get_user_model().objects.get(username="congdan")
        as_user(client, citizen)
        url = reverse("backoffice:dossier_urge", args=[dossier.code])
        for response in (
            client.get(ALERTS),
            client.get(URGES),
            client.get(url),
            client.post(url, {"message": MESSAGE}),
            client.post(URGES, {"dossier": [dossier.code], "message": MESSAGE}),
        ):
            assert response.status_code == 403
            assert dossier.applicant_name not in response.content.decode()
        assert nothing_urged()

    def test_it_asks_an_anonymous_visitor_to_sign_in(self, client, dossier):
        url = reverse("backoffice:dossier_urge", args=[dossier.code])
        for response in (client.get(ALERTS), client.get(URGES), client.post(url)):
            assert response.status_code == 302
            assert reverse("backoffice:login") in response["Location"]
        assert nothing_urged()
