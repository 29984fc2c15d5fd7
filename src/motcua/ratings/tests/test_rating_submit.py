from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from motcua.audit.models import Event
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.dossiers.processing import Recipient, dossier_return
from motcua.dossiers.tests.helpers import receive
from motcua.notifications.models import Message
from motcua.ratings.models import FollowUp, FollowUpStatus, Overall, Rating, RatingChannel
from motcua.ratings.services import COMMENT_MAX_LENGTH, followup_close, rating_submit
from motcua.ratings.tests.helpers import (
    CERTIFIED_COPY,
    GOOD,
    LAND_FIRST_REGISTRATION,
    citizen,
    citizen_dossier,
    leader_with_contacts,
    local,
    rate,
)


@pytest.fixture
def dossier(demo):
    return receive(demo.reception_officer, LAND_FIRST_REGISTRATION)


@pytest.mark.django_db
class TestRating:
    def test_it_records_the_answers_and_what_the_citizen_had_seen(self, dossier):
        rating = rate(dossier, Overall.VERY_SATISFIED, attitude=2, contacts=1, time_taken=None)
        assert rating.overall == Overall.VERY_SATISFIED
        assert (rating.attitude, rating.contacts, rating.time_taken) == (2, 1, None)
        assert rating.dossier_state == "in_processing"
        assert rating.rated_by is None and rating.channel == RatingChannel.RECEIPT_QR
        event = Event.objects.get(target_id=dossier.code, kind="rating.submitted")
        assert event.data["rating"]["attitude"] == 2

    @pytest.mark.parametrize(
        ("overall", "criteria", "comment", "field"),
        [
            ("rat_hai_long", {}, "", "overall"),
            ("satisfied", {"attitude": 3}, "", "attitude"),
            ("satisfied", {"attitude": "2"}, "", "attitude"),
            ("satisfied", {"speed": 2}, "", "speed"),
            ("satisfied", {}, "x" * (COMMENT_MAX_LENGTH + 1), "comment"),
        ],
    )
    def test_it_refuses_bad_input_in_vietnamese_and_stores_nothing(
        self, dossier, overall, criteria, comment, field
    ):
        with pytest.raises(ValidationFailed) as refused:
            rating_submit(
                dossier=dossier,
                overall=overall,
                criteria=criteria,
                comment=comment,
                channel=RatingChannel.RECEIPT_QR,
            )
        assert refused.value.extra == {"field": field}
        assert not Rating.objects.exists()
        assert not Event.objects.filter(kind__startswith="rating.").exists()

    def test_it_replaces_the_rating_and_keeps_the_earlier_one_in_the_log(self, dossier):
        rate(dossier, Overall.SATISFIED, attitude=1)
        rating = rate(dossier, Overall.VERY_SATISFIED, attitude=2)
        assert Rating.objects.count() == 1
        assert rating.overall == Overall.VERY_SATISFIED and rating.revisions == 1
        revised = Event.objects.get(target_id=dossier.code, kind="rating.revised")
        assert revised.data["previous"]["overall"] == "satisfied"
        assert revised.data["previous"]["attitude"] == 1

    def test_it_accepts_a_change_within_30_days_of_the_return_and_not_after(self, demo):
        with time_machine.travel(local(2026, 4, 14, 9, 0), tick=False):
            dossier = receive(demo.ward_officer, CERTIFIED_COPY)
            dossier_return(
                actor=demo.ward_officer,
                code=dossier.code,
                channel="desk",
                recipient=Recipient(name="Nguyễn Thị Hồng Nhung", id_number="046190001234"),
            )
        dossier.refresh_from_db()
        with time_machine.travel(local(2026, 5, 14, 8, 0), tick=False):
            assert rate(dossier, Overall.SATISFIED).dossier_state == "returned"
        with (
            time_machine.travel(local(2026, 5, 15, 9, 0), tick=False),
            pytest.raises(Conflict, match="hết thời gian đánh giá"),
        ):
            rate(dossier, Overall.DISSATISFIED)
        assert Rating.objects.get().overall == Overall.SATISFIED

    def test_it_lets_only_the_applicant_rate_through_an_account(self, demo):
        owner, stranger = citizen(), citizen("khac", "079099999999")
        dossier = citizen_dossier(demo, owner)
        with pytest.raises(NotFound):
            rating_submit(
                dossier=dossier,
                overall=Overall.SATISFIED,
                criteria={},
                channel=RatingChannel.PORTAL,
                user=stranger,
            )
        rating = rating_submit(
            dossier=dossier,
            overall=Overall.SATISFIED,
            criteria=GOOD,
            channel=RatingChannel.PORTAL,
            user=owner,
        )
        assert rating.rated_by == owner


@pytest.mark.django_db
class TestDissatisfied:
    def test_it_opens_a_followup_due_in_five_working_days_and_tells_the_leaders(
        self, demo, settings
    ):
        settings.MOTCUA_DAY_ONE = "next"
        leader = leader_with_contacts(demo)
        dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
        # A Friday afternoon: the weekend does not count.
        with time_machine.travel(local(2026, 4, 17, 16, 0), tick=False):
            rating = rate(dossier, Overall.DISSATISFIED, attitude=0)
        followup = FollowUp.objects.get(rating=rating)
        assert followup.status == FollowUpStatus.OPEN
        assert followup.due_at == local(2026, 4, 24, 17, 0)
        told = Message.objects.filter(topic="rating.dissatisfied")
        assert {m.recipient for m in told} == {leader.email, leader.phone}
        assert all(dossier.code in m.body for m in told)
        assert Event.objects.filter(target_id=dossier.code, kind="followup.opened").exists()

    def test_a_satisfied_rating_opens_nothing(self, dossier):
        rate(dossier, Overall.VERY_SATISFIED)
        assert not FollowUp.objects.exists()
        assert not Message.objects.filter(topic="rating.dissatisfied").exists()

    def test_a_second_dissatisfied_rating_keeps_the_followup_being_handled(self, demo, dossier):
        leader_with_contacts(demo)
        rate(dossier, Overall.DISSATISFIED)
        rate(dossier, Overall.DISSATISFIED, attitude=0)
        assert FollowUp.objects.count() == 1
        # Told once (an email and an SMS), not again for the change.
        assert Message.objects.filter(topic="rating.dissatisfied").count() == 2

    def test_a_dissatisfied_rating_after_the_close_opens_it_again(self, demo, dossier):
        followup = rate(dossier, Overall.DISSATISFIED).followup
        followup_close(actor=demo.center_leader, followup_id=followup.pk, resolution="Đã gọi lại.")
        rate(dossier, Overall.DISSATISFIED, attitude=0)
        followup.refresh_from_db()
        assert followup.status == FollowUpStatus.OPEN and followup.resolution == ""
        reopened = Event.objects.get(target_id=dossier.code, kind="followup.reopened")
        assert reopened.data["previous"]["resolution"] == "Đã gọi lại."

    def test_it_marks_an_open_followup_overdue_after_its_due_date(self, dossier):
        followup = rate(dossier, Overall.DISSATISFIED).followup
        assert not followup.is_overdue
        with time_machine.travel(followup.due_at + timedelta(minutes=1)):
            assert followup.is_overdue
