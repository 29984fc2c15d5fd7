from __future__ import annotations

import pytest
from django.urls import reverse

from motcua.dossiers.tests.helpers import receive
from motcua.notifications.models import Message
from motcua.ratings.models import FollowUp, FollowUpStatus, Overall, Rating, RatingChannel
from motcua.ratings.services import followup_url
from motcua.ratings.tests.helpers import (
    LAND_FIRST_REGISTRATION,
    citizen,
    citizen_dossier,
    leader_with_contacts,
    rate,
)

RATE = reverse("portal:rating_by_receipt")


def answers(overall: str = Overall.SATISFIED, **extra: str) -> dict[str, str]:
    """What the rating form posts: every criterion left at "not judged" unless given."""
    names = (
        "time_taken",
        "contacts",
        "agencies_contacted",
        "one_stop",
        "publicity",
        "attitude",
        "feedback_handling",
        "online_service",
    )
    return {"overall": overall, "comment": "", **dict.fromkeys(names, ""), **extra}


def receipt_post(dossier, secret: str | None = None, **rating: str) -> dict[str, str]:
    pair = {"code": dossier.code, "secret": secret or dossier.lookup_secret}
    return {**pair, "step": "rate", **rating} if rating else pair


@pytest.fixture
def dossier(demo):
    return receive(demo.reception_officer, LAND_FIRST_REGISTRATION)


@pytest.mark.django_db
class TestFromTheReceipt:
    def test_it_fills_in_the_code_from_the_qr(self, client, dossier):
        page = client.get(f"{RATE}?ma={dossier.code}").content.decode()
        assert f'value="{dossier.code}"' in page

    def test_it_asks_for_the_rating_once_the_code_and_secret_match(self, client, dossier):
        response = client.post(RATE, receipt_post(dossier, dossier.lookup_secret.lower()))
        page = response.content.decode()
        assert response.status_code == 200
        assert "<legend>" in page and 'name="overall"' in page
        assert "Thái độ của cán bộ, công chức" in page
        assert response["Cache-Control"].startswith("max-age=0")

    def test_it_records_the_rating_and_thanks(self, client, dossier):
        response = client.post(
            RATE, receipt_post(dossier, **answers(Overall.VERY_SATISFIED, attitude="2"))
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:rating_thanks")
        rating = Rating.objects.get(dossier=dossier)
        assert (rating.overall, rating.attitude, rating.contacts) == ("very_satisfied", 2, None)
        assert rating.channel == RatingChannel.RECEIPT_QR and rating.rated_by is None
        assert dossier.code in client.get(response["Location"]).content.decode()

    def test_it_refuses_a_rating_outside_the_choices_and_stores_nothing(self, client, dossier):
        response = client.post(RATE, receipt_post(dossier, **answers("tot", attitude="5")))
        assert response.status_code == 400
        assert "Chưa gửi được đánh giá" in response.content.decode()
        assert not Rating.objects.exists()

    def test_it_asks_for_the_overall_rating(self, client, dossier):
        response = client.post(RATE, receipt_post(dossier, **answers("")))
        assert response.status_code == 400
        assert "Hãy chọn mức độ hài lòng" in response.content.decode()
        assert not Rating.objects.exists()

    def test_it_answers_a_wrong_secret_like_the_lookup(self, client, dossier):
        response = client.post(RATE, receipt_post(dossier, "AAAAAAAA", **answers()))
        assert response.status_code == 404
        assert "Không tìm thấy hồ sơ" in response.content.decode()
        assert not Rating.objects.exists()

    def test_it_is_throttled_with_the_lookup(self, client, dossier, settings):
        for _ in range(settings.MOTCUA_LOOKUP_MAX_FAILURES):
            client.post(reverse("portal:lookup"), {"code": dossier.code, "secret": "WRONG234"})
        response = client.post(RATE, receipt_post(dossier, **answers()))
        assert response.status_code == 429
        assert "sai quá nhiều lần" in response.content.decode()
        assert not Rating.objects.exists()

    def test_wrong_secrets_on_the_rating_page_count_for_the_lookup(self, client, dossier, settings):
        for _ in range(settings.MOTCUA_LOOKUP_MAX_FAILURES):
            client.post(RATE, receipt_post(dossier, "WRONG234"))
        response = client.post(
            reverse("portal:lookup"), {"code": dossier.code, "secret": dossier.lookup_secret}
        )
        assert response.status_code == 429

    def test_it_shows_the_earlier_rating_to_change_it(self, client, dossier):
        rate(dossier, Overall.DISSATISFIED, attitude=0)
        page = client.post(RATE, receipt_post(dossier)).content.decode()
        assert "Bạn đã đánh giá hồ sơ này" in page
        assert 'value="dissatisfied" id="id_overall_2" required checked' in page
        assert 'name="attitude" value="0" id="id_attitude_2" checked' in page


@pytest.mark.django_db
class TestOwnDossier:
    def test_the_citizen_rates_their_dossier_from_their_account(self, client, demo):
        owner = citizen()
        dossier = citizen_dossier(demo, owner)
        client.force_login(owner)
        url = reverse("portal:rating_own", args=[dossier.code])
        assert "Đánh giá mức độ hài lòng" in client.get(url).content.decode()
        response = client.post(url, answers(Overall.SATISFIED, one_stop="2", comment=" Tốt "))
        assert response.status_code == 302
        rating = Rating.objects.get(dossier=dossier)
        assert (rating.channel, rating.rated_by, rating.comment) == ("portal", owner, "Tốt")

    def test_another_citizen_gets_not_found(self, client, demo):
        dossier = citizen_dossier(demo, citizen())
        client.force_login(citizen("khac", "079099999999"))
        url = reverse("portal:rating_own", args=[dossier.code])
        assert client.get(url).status_code == 404
        assert client.post(url, answers()).status_code == 404
        assert not Rating.objects.exists()

    def test_an_officer_is_refused(self, client, demo):
        dossier = citizen_dossier(demo, citizen())
        client.force_login(demo.reception_officer)
        url = reverse("portal:rating_own", args=[dossier.code])
        assert client.post(url, answers()).status_code == 403
        assert not Rating.objects.exists()

    def test_a_visitor_is_sent_to_sign_in(self, client, demo):
        dossier = citizen_dossier(demo, citizen())
        response = client.get(reverse("portal:rating_own", args=[dossier.code]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login") + "?next=")

    def test_a_dissatisfied_rating_opens_a_followup_and_tells_the_leaders(self, client, demo):
        leader = leader_with_contacts(demo)
        owner = citizen()
        dossier = citizen_dossier(demo, owner)
        client.force_login(owner)
        response = client.post(
            reverse("portal:rating_own", args=[dossier.code]),
            answers(Overall.DISSATISFIED, attitude="0", comment="Phải chờ quá lâu."),
        )
        assert response.status_code == 302
        followup = FollowUp.objects.get(rating__dossier=dossier)
        assert followup.status == FollowUpStatus.OPEN
        told = Message.objects.filter(topic="rating.dissatisfied", target_id=str(followup.pk))
        assert {m.recipient for m in told} == {leader.email, leader.phone}
        assert "5 ngày làm việc" in client.get(response["Location"]).content.decode()


@pytest.fixture
def followup(demo, dossier):
    return rate(dossier, Overall.DISSATISFIED, attitude=0).followup


@pytest.mark.django_db
class TestFollowUpPages:
    def test_the_leader_finds_it_marked_overdue_and_closes_it(self, client, demo, followup):
        FollowUp.objects.filter(pk=followup.pk).update(due_at=followup.opened_at)
        client.force_login(demo.center_leader)
        listing = client.get(reverse("backoffice:followups")).content.decode()
        assert followup.rating.dossier.code in listing and "Quá hạn" in listing
        page = client.get(reverse("backoffice:followup", args=[followup.pk])).content.decode()
        assert "Thái độ của cán bộ, công chức" in page and "Chưa đúng mực" in page
        assert reverse("backoffice:dossier", args=[followup.rating.dossier.code]) in page
        taken = client.post(reverse("backoffice:followup_take", args=[followup.pk]), {"notes": ""})
        assert taken.status_code == 302
        refused = client.post(reverse("backoffice:followup_close", args=[followup.pk]), {})
        assert refused.status_code == 400
        closed = client.post(
            reverse("backoffice:followup_close", args=[followup.pk]),
            {"resolution": "Đã gọi điện xin lỗi công dân."},
        )
        assert closed.status_code == 302
        followup.refresh_from_db()
        assert followup.status == FollowUpStatus.CLOSED
        assert followup.assigned_to == demo.center_leader

    def test_the_competent_director_sees_it_but_cannot_close_it(self, client, demo, followup):
        client.force_login(demo.land_director)
        page = client.get(reverse("backoffice:followup", args=[followup.pk])).content.decode()
        assert "Đóng việc theo dõi" not in page
        response = client.post(
            reverse("backoffice:followup_close", args=[followup.pk]), {"resolution": "Xong."}
        )
        assert response.status_code == 403
        followup.refresh_from_db()
        assert followup.status == FollowUpStatus.OPEN

    @pytest.mark.parametrize("persona", ["reception_officer", "land_specialist", "outsider"])
    def test_other_officers_are_refused(self, client, demo, followup, persona):
        client.force_login(getattr(demo, persona))
        for name in ("followups", "rating_summary"):
            assert client.get(reverse(f"backoffice:{name}")).status_code == 403, name
        assert client.get(reverse("backoffice:followup", args=[followup.pk])).status_code == 403
        response = client.post(
            reverse("backoffice:followup_close", args=[followup.pk]), {"resolution": "Xong."}
        )
        assert response.status_code == 403
        followup.refresh_from_db()
        assert followup.status == FollowUpStatus.OPEN

    def test_the_director_of_another_agency_gets_not_found(self, client, demo, followup):
        client.force_login(demo.person("truongcongan"))
        assert client.get(reverse("backoffice:followup", args=[followup.pk])).status_code == 404

    def test_a_visitor_is_sent_to_the_login_page(self, client, followup):
        response = client.get(reverse("backoffice:followup", args=[followup.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("backoffice:login"))

    def test_the_list_costs_the_same_queries_for_many_rows(
        self, client, demo, followup, django_assert_num_queries
    ):
        for _ in range(3):
            rate(receive(demo.reception_officer, LAND_FIRST_REGISTRATION), Overall.DISSATISFIED)
        client.force_login(demo.center_leader)
        # The page's five queries and the navigation's count of new alerts.
        with django_assert_num_queries(6):
            response = client.get(reverse("backoffice:followups"))
        assert response.content.decode().count('class="code"') == 4

    def test_the_link_sent_to_the_leaders_opens_the_page(self, followup, settings):
        assert followup_url(followup=followup) == settings.SITE_URL + reverse(
            "backoffice:followup", args=[followup.pk]
        )


@pytest.mark.django_db
def test_the_summary_counts_per_procedure_and_receiving_officer(client, demo):
    for overall in (Overall.VERY_SATISFIED, Overall.SATISFIED, Overall.DISSATISFIED):
        rate(receive(demo.reception_officer, LAND_FIRST_REGISTRATION), overall)
    client.force_login(demo.center_leader)
    response = client.get(reverse("backoffice:rating_summary"))
    page = response.content.decode()
    assert response.status_code == 200
    assert LAND_FIRST_REGISTRATION in page
    assert demo.reception_officer.full_name in page
    assert "<td>1</td><td>1</td><td>" in page
    bad = client.get(reverse("backoffice:rating_summary") + "?start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 400
