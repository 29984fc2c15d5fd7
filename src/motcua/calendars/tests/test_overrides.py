"""Administrators' calendar overrides apply to dossiers received after them, never before."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from motcua.agencies.models import UnitKind
from motcua.agencies.services import unit_upsert
from motcua.audit.models import Event
from motcua.audit.services import event_chain_verify
from motcua.calendars.models import CalendarOverride, OverrideKind
from motcua.calendars.selectors import (
    calendar_overrides_list,
    deadline_rules,
    work_calendar_for,
)
from motcua.calendars.services import calendar_override_add, calendar_override_revoke
from motcua.core.errors import Conflict, ValidationFailed
from motcua.lib.workdays import VIETNAM_TZ, DeadlineRules, DurationUnit, due_instant

pytestmark = pytest.mark.django_db

YEARS = (2026, 2027)
FRIDAY = date(2026, 3, 13)
SATURDAY = date(2026, 3, 14)
MONDAY = date(2026, 3, 16)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VIETNAM_TZ)  # type: ignore[misc]


@pytest.fixture
def administrator():
    return get_user_model().objects.create_superuser(
        username="quantri",
        email="quantri@hue.gov.vn",
        password="mat-khau-dai-1",
        full_name="Lê Quản Trị",
    )


@pytest.fixture
def tree():
    """Huế city > its center > the center's land desk, and a commune beside the center."""
    city = unit_upsert(code="H57", name="UBND thành phố Huế", kind=UnitKind.PROVINCE)
    center = unit_upsert(
        code="H57.TTHCC",
        name="Trung tâm Phục vụ hành chính công",
        kind=UnitKind.CENTER,
        parent=city,
    )
    desk = unit_upsert(
        code="H57.TTHCC.DD", name="Quầy đất đai", kind=UnitKind.COUNTER, parent=center
    )
    commune = unit_upsert(
        code="H57.XTT", name="Phường Thuận Hóa", kind=UnitKind.COMMUNE, parent=city
    )
    return {"city": city, "center": center, "desk": desk, "commune": commune}


def add(actor, day, kind=OverrideKind.DAY_OFF, unit=None, note="Nghỉ theo quyết định của UBND"):
    return calendar_override_add(actor=actor, day=day, kind=kind, unit=unit, note=note)


def working(day: date, *, as_of: datetime, unit=None) -> bool:
    return work_calendar_for(unit=unit, as_of=as_of, years=YEARS).is_working_day(day)


class TestEffectiveAsOf:
    def test_it_does_not_change_the_calendar_of_a_dossier_received_before_the_override(
        self, administrator, time_machine
    ):
        received_at = at(2026, 3, 10, 9)
        time_machine.move_to(at(2026, 3, 10, 14), tick=False)
        add(administrator, FRIDAY)

        assert working(FRIDAY, as_of=received_at)
        assert not working(FRIDAY, as_of=at(2026, 3, 10, 15))

    def test_it_moves_only_the_later_dossiers_due_date(self, administrator, time_machine):
        # 3 working days from Tue 10/3: Wed 11, Thu 12, Fri 13; with Fri off: Mon 16.
        time_machine.move_to(at(2026, 3, 10, 14), tick=False)
        add(administrator, FRIDAY)

        def due(received_at: datetime) -> datetime:
            calendar = work_calendar_for(as_of=received_at, years=YEARS)
            return due_instant(
                calendar=calendar, received_at=received_at, amount=3, unit=DurationUnit.WORKING_DAYS
            )

        assert due(at(2026, 3, 10, 9)) == at(2026, 3, 13, 17)
        assert due(at(2026, 3, 10, 15)) == at(2026, 3, 16, 17)

    def test_it_stops_applying_a_revoked_override_from_its_revocation_only(
        self, administrator, time_machine
    ):
        time_machine.move_to(at(2026, 3, 2, 8), tick=False)
        override = add(administrator, FRIDAY)
        time_machine.move_to(at(2026, 3, 9, 8), tick=False)
        calendar_override_revoke(actor=administrator, override=override)

        assert working(FRIDAY, as_of=at(2026, 3, 1, 12))
        assert not working(FRIDAY, as_of=at(2026, 3, 5, 12))
        assert working(FRIDAY, as_of=at(2026, 3, 9, 8))
        assert working(FRIDAY, as_of=at(2026, 3, 10, 12))

    def test_it_makes_a_saturday_a_working_day(self, administrator, time_machine):
        time_machine.move_to(at(2026, 3, 2, 8), tick=False)
        add(administrator, SATURDAY, OverrideKind.WORKING_DAY, note="Làm bù cho ngày 16/3")

        assert not working(SATURDAY, as_of=at(2026, 3, 1, 8))
        assert working(SATURDAY, as_of=at(2026, 3, 2, 8))

    def test_it_can_cancel_a_national_make_up_saturday(self, administrator, time_machine):
        time_machine.move_to(at(2026, 8, 1, 8), tick=False)
        assert working(date(2026, 8, 22), as_of=at(2026, 8, 1, 8))
        add(administrator, date(2026, 8, 22), note="Không làm bù")

        assert not working(date(2026, 8, 22), as_of=at(2026, 8, 1, 8))

    def test_it_reads_the_overrides_in_one_query(
        self, administrator, tree, time_machine, django_assert_num_queries
    ):
        time_machine.move_to(at(2026, 3, 2, 8), tick=False)
        add(administrator, FRIDAY, unit=tree["center"])
        with django_assert_num_queries(1):
            work_calendar_for(unit=tree["desk"], as_of=at(2026, 3, 3, 8), years=YEARS)


class TestScope:
    @pytest.fixture(autouse=True)
    def frozen(self, time_machine):
        time_machine.move_to(at(2026, 3, 2, 8), tick=False)

    def test_it_applies_a_unit_override_to_the_unit_and_its_descendants_only(
        self, administrator, tree
    ):
        add(administrator, FRIDAY, unit=tree["center"])
        later = at(2026, 3, 3, 8)

        assert not working(FRIDAY, as_of=later, unit=tree["center"])
        assert not working(FRIDAY, as_of=later, unit=tree["desk"])
        assert working(FRIDAY, as_of=later, unit=tree["commune"])
        assert working(FRIDAY, as_of=later, unit=tree["city"])
        assert working(FRIDAY, as_of=later)

    def test_it_applies_an_every_unit_override_everywhere(self, administrator, tree):
        add(administrator, FRIDAY)
        later = at(2026, 3, 3, 8)

        for unit in [None, *tree.values()]:
            assert not working(FRIDAY, as_of=later, unit=unit)

    def test_it_lets_the_most_specific_scope_win(self, administrator, tree):
        add(administrator, MONDAY)
        add(administrator, MONDAY, OverrideKind.WORKING_DAY, unit=tree["center"], note="Trực")
        later = at(2026, 3, 3, 8)

        assert working(MONDAY, as_of=later, unit=tree["desk"])
        assert not working(MONDAY, as_of=later, unit=tree["commune"])

    def test_it_lists_overrides_by_year_and_unit(self, administrator, tree):
        add(administrator, FRIDAY)
        add(administrator, SATURDAY, OverrideKind.WORKING_DAY, unit=tree["commune"])
        add(administrator, date(2027, 1, 4), unit=tree["center"])

        assert [o.date for o in calendar_overrides_list(year=2026)] == [FRIDAY, SATURDAY]
        assert [o.date for o in calendar_overrides_list(unit=tree["desk"])] == [
            FRIDAY,
            date(2027, 1, 4),
        ]


class TestAddAndRevoke:
    @pytest.fixture(autouse=True)
    def frozen(self, time_machine):
        time_machine.move_to(at(2026, 3, 2, 8), tick=False)

    def test_it_records_who_added_and_revoked_and_keeps_the_row(self, administrator):
        override = add(administrator, FRIDAY)
        assert override.created_by == administrator
        assert override.created_at == at(2026, 3, 2, 8)

        revoked = calendar_override_revoke(actor=administrator, override=override)
        assert revoked.revoked_by == administrator
        assert revoked.revoked_at == at(2026, 3, 2, 8)
        assert CalendarOverride.objects.filter(pk=override.pk).exists()

    def test_it_writes_an_audit_event_for_each_add_and_revoke(self, administrator, tree):
        override = add(administrator, FRIDAY, unit=tree["center"], note="Bão số 3")
        calendar_override_revoke(actor=administrator, override=override)

        events = list(Event.objects.filter(target_type="calendar_override"))
        assert [e.kind for e in events] == ["calendar.override_added", "calendar.override_revoked"]
        assert {e.target_id for e in events} == {str(override.pk)}
        assert events[0].reason == "Bão số 3"
        assert events[0].data == {"date": "2026-03-13", "kind": "day_off", "unit": "H57.TTHCC"}
        assert events[0].actor == administrator
        assert event_chain_verify().ok

    def test_it_refuses_a_duplicate_and_writes_nothing(self, administrator):
        add(administrator, FRIDAY)
        with pytest.raises(Conflict):
            add(administrator, FRIDAY)
        assert CalendarOverride.objects.count() == 1
        assert Event.objects.count() == 1
        assert event_chain_verify().ok

    def test_it_refuses_an_opposite_override_in_the_same_scope(self, administrator):
        add(administrator, SATURDAY, OverrideKind.WORKING_DAY)
        with pytest.raises(Conflict):
            add(administrator, SATURDAY, OverrideKind.DAY_OFF)

    def test_it_accepts_the_same_date_in_another_scope_or_after_a_revocation(
        self, administrator, tree
    ):
        first = add(administrator, FRIDAY)
        add(administrator, FRIDAY, unit=tree["center"])
        calendar_override_revoke(actor=administrator, override=first)
        add(administrator, FRIDAY)
        assert CalendarOverride.objects.filter(revoked_at__isnull=True).count() == 2

    def test_it_refuses_to_revoke_twice(self, administrator):
        override = add(administrator, FRIDAY)
        calendar_override_revoke(actor=administrator, override=override)
        with pytest.raises(Conflict):
            calendar_override_revoke(actor=administrator, override=override)
        assert Event.objects.count() == 2

    @pytest.mark.parametrize("note", ["", "   "])
    def test_it_requires_a_reason(self, administrator, note):
        with pytest.raises(ValidationFailed):
            add(administrator, FRIDAY, note=note)
        assert not CalendarOverride.objects.exists()
        assert not Event.objects.exists()

    def test_it_refuses_an_unknown_kind(self, administrator):
        with pytest.raises(ValidationFailed):
            add(administrator, FRIDAY, kind="holiday")


class TestSettings:
    def test_it_reads_office_hours_from_settings(self, settings):
        settings.MOTCUA_OFFICE_HOURS = "08:00-12:00,13:00-17:30"
        calendar = work_calendar_for(as_of=at(2026, 3, 2, 8), years=YEARS)
        assert calendar.office_hours[-1][1].strftime("%H:%M") == "17:30"

    def test_it_reads_the_deadline_rules_from_settings(self, settings):
        settings.MOTCUA_DAY_ONE = "same"
        settings.MOTCUA_SAME_DAY_CUTOFF = "14:30"
        assert deadline_rules() == DeadlineRules(day_one="same", same_day_cutoff=time(14, 30))

    @pytest.mark.parametrize(
        ("name", "value"), [("MOTCUA_DAY_ONE", "sau"), ("MOTCUA_SAME_DAY_CUTOFF", "3pm")]
    )
    def test_it_fails_loudly_on_bad_deadline_settings(self, settings, name, value):
        setattr(settings, name, value)
        with pytest.raises(ImproperlyConfigured):
            deadline_rules()


class TestAdmin:
    @pytest.fixture
    def client(self, client, administrator, time_machine):
        time_machine.move_to(at(2026, 3, 2, 8), tick=False)
        client.force_login(administrator)
        return client

    def post_add(self, client, **data):
        form = {"date": "2026-03-13", "kind": "day_off", "unit": "", "note": "Nghỉ lễ địa phương"}
        return client.post(reverse("admin:calendars_calendaroverride_add"), {**form, **data})

    def test_it_adds_an_override_through_the_service(self, client, administrator, tree):
        assert client.get(reverse("admin:calendars_calendaroverride_add")).status_code == 200
        response = self.post_add(client, unit=str(tree["center"].pk))

        assert response.status_code == 302
        override = CalendarOverride.objects.get()
        assert (override.date, override.unit, override.created_by) == (
            FRIDAY,
            tree["center"],
            administrator,
        )
        assert Event.objects.get().kind == "calendar.override_added"

    def test_it_shows_a_refusal_on_the_form_instead_of_failing(self, client):
        self.post_add(client)
        response = self.post_add(client)

        assert response.status_code == 200
        assert "Ngày này đã được khai báo" in response.content.decode()
        assert CalendarOverride.objects.count() == 1

    def test_it_turns_a_refusal_at_save_time_into_a_message(self, client, monkeypatch):
        # As if another administrator added the same date between validation and saving.
        self.post_add(client)
        monkeypatch.setattr(
            "motcua.calendars.admin.calendar_override_check_add", lambda **kwargs: kwargs["note"]
        )
        response = self.post_add(client)

        assert response.status_code == 302
        assert response.url == reverse("admin:calendars_calendaroverride_add")
        assert CalendarOverride.objects.count() == 1
        assert Event.objects.count() == 1

    def test_it_requires_a_reason_on_the_form(self, client):
        response = self.post_add(client, note="")
        assert response.status_code == 200
        assert not CalendarOverride.objects.exists()

    def test_it_lists_and_filters_overrides(self, client, administrator):
        add(administrator, FRIDAY)
        url = reverse("admin:calendars_calendaroverride_changelist")
        for query in ["", "?year=2026", "?kind=day_off", "?active=yes"]:
            assert client.get(url + query).status_code == 200

    def test_it_revokes_with_an_action(self, client, administrator):
        override = add(administrator, FRIDAY)
        response = client.post(
            reverse("admin:calendars_calendaroverride_changelist"),
            {"action": "revoke", "_selected_action": [override.pk]},
        )

        assert response.status_code == 302
        override.refresh_from_db()
        assert override.revoked_by == administrator
        assert [e.kind for e in Event.objects.all()][-1] == "calendar.override_revoked"

    def test_it_shows_existing_rows_read_only_and_never_deletes_them(self, client, administrator):
        override = add(administrator, FRIDAY)
        change_url = reverse("admin:calendars_calendaroverride_change", args=[override.pk])
        delete_url = reverse("admin:calendars_calendaroverride_delete", args=[override.pk])

        assert client.get(change_url).status_code == 200
        assert client.post(change_url, {"note": "sửa"}).status_code == 403
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
        override.refresh_from_db()
        assert override.note == "Nghỉ theo quyết định của UBND"
