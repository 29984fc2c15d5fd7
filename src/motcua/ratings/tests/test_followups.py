from __future__ import annotations

import pytest

from motcua.audit.models import Event
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.tests.helpers import receive
from motcua.ratings.models import FollowUpStatus, Overall
from motcua.ratings.selectors import followup_get, followups_list
from motcua.ratings.services import followup_close, followup_take
from motcua.ratings.tests.helpers import LAND_FIRST_REGISTRATION, rate


@pytest.fixture
def followup(demo):
    dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    return rate(dossier, Overall.DISSATISFIED, attitude=0).followup


@pytest.mark.django_db
class TestHandling:
    def test_a_center_leader_takes_it_then_closes_it_with_a_resolution(self, demo, followup):
        leader = demo.center_leader
        taken = followup_take(actor=leader, followup_id=followup.pk, notes="Gọi điện cho chị Nhung")
        assert taken.status == FollowUpStatus.IN_PROGRESS and taken.assigned_to == leader
        closed = followup_close(
            actor=leader, followup_id=followup.pk, resolution="Đã xin lỗi, nhắc nhở công chức."
        )
        assert closed.status == FollowUpStatus.CLOSED
        assert closed.closed_by == leader and closed.closed_at is not None
        kinds = set(
            Event.objects.filter(kind__startswith="followup.").values_list("kind", flat=True)
        )
        assert kinds == {"followup.opened", "followup.taken", "followup.closed"}

    def test_it_wants_a_resolution_to_close(self, demo, followup):
        with pytest.raises(ValidationFailed) as refused:
            followup_close(actor=demo.center_leader, followup_id=followup.pk, resolution="  ")
        assert refused.value.extra == {"field": "resolution"}
        followup.refresh_from_db()
        assert followup.status == FollowUpStatus.OPEN

    def test_it_refuses_to_close_twice(self, demo, followup):
        followup_close(actor=demo.center_leader, followup_id=followup.pk, resolution="Xong.")
        with pytest.raises(Conflict):
            followup_close(actor=demo.center_leader, followup_id=followup.pk, resolution="Lại.")

    @pytest.mark.parametrize("persona", ["land_director", "reception_officer", "outsider"])
    def test_only_the_center_leadership_takes_or_closes(self, demo, followup, persona):
        actor = getattr(demo, persona)
        with pytest.raises(PermissionDenied):
            followup_take(actor=actor, followup_id=followup.pk)
        with pytest.raises(PermissionDenied):
            followup_close(actor=actor, followup_id=followup.pk, resolution="Xong.")
        followup.refresh_from_db()
        assert followup.status == FollowUpStatus.OPEN


@pytest.mark.django_db
class TestVisibility:
    def test_the_center_leader_and_the_competent_director_see_it(self, demo, followup):
        for viewer in (demo.center_leader, demo.land_director):
            assert list(followups_list(viewer=viewer)) == [followup]
            assert followup_get(viewer=viewer, pk=followup.pk) == followup

    def test_the_director_of_an_agency_not_concerned_does_not(self, demo, followup):
        police_chief = demo.person("truongcongan")
        assert list(followups_list(viewer=police_chief)) == []
        with pytest.raises(NotFound):
            followup_get(viewer=police_chief, pk=followup.pk)

    @pytest.mark.parametrize("persona", ["reception_officer", "land_specialist", "outsider"])
    def test_officers_without_a_leading_role_are_refused(self, demo, followup, persona):
        with pytest.raises(PermissionDenied):
            followups_list(viewer=getattr(demo, persona))
        with pytest.raises(PermissionDenied):
            followup_get(viewer=getattr(demo, persona), pk=followup.pk)

    def test_it_lists_open_followups_before_the_others(self, demo, followup):
        later = rate(
            receive(demo.reception_officer, LAND_FIRST_REGISTRATION), Overall.DISSATISFIED
        ).followup
        followup_close(actor=demo.center_leader, followup_id=followup.pk, resolution="Xong.")
        followup_take(actor=demo.center_leader, followup_id=later.pk)
        third = rate(
            receive(demo.reception_officer, LAND_FIRST_REGISTRATION), Overall.DISSATISFIED
        ).followup
        listed = list(followups_list(viewer=demo.center_leader))
        assert listed == [third, later, followup]
        assert list(followups_list(viewer=demo.center_leader, status="closed")) == [followup]
