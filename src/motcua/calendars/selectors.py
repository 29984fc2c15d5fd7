"""The working calendar in force for a unit at an instant: national holidays plus overrides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet

from motcua.calendars.models import CalendarOverride, OverrideKind
from motcua.lib.workdays import (
    DeadlineRules,
    WorkCalendar,
    parse_office_hours,
    parse_time_of_day,
    vietnam_public_calendar,
)

# An override as applied: (date, kind), in the order in which later ones win.
_Change = tuple[date, str]


def _ancestor_ids(unit: Any) -> list[int]:
    # Unit.path is "/1/4/9/": the ids of the root, ..., the unit itself.
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def _scope(unit: Any) -> Q:
    if unit is None:
        return Q(unit__isnull=True)
    return Q(unit__isnull=True) | Q(unit_id__in=_ancestor_ids(unit))


def _override_rows(scope: Q, *, as_of: datetime, years: tuple[int, ...]) -> list[tuple[Any, ...]]:
    return list(
        CalendarOverride.objects.filter(
            scope,
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=as_of),
            created_at__lte=as_of,
            date__gte=date(years[0], 1, 1),
            date__lte=date(years[-1], 12, 31),
        ).values_list("date", "kind", "unit_id", "created_at")
    )


def _effective_changes(
    *, unit: Any, as_of: datetime, years: tuple[int, ...]
) -> tuple[_Change, ...]:
    return _changes_for(unit, _override_rows(_scope(unit), as_of=as_of, years=years))


def _changes_for(unit: Any, rows: Iterable[tuple[Any, ...]]) -> tuple[_Change, ...]:
    ancestors = _ancestor_ids(unit) if unit else []
    rows = [row for row in rows if row[2] is None or row[2] in ancestors]
    depth = {unit_id: level for level, unit_id in enumerate(ancestors)}
    # The most specific scope wins: every-unit overrides first, then ancestors from the root
    # down to the unit itself, so a unit's own declaration is applied last.
    ordered = sorted(rows, key=lambda row: (depth.get(row[2], -1), row[3]))
    return tuple((day, kind) for day, kind, _unit_id, _created_at in ordered)


@lru_cache(maxsize=64)
def _national(years: tuple[int, ...], office_hours: str) -> WorkCalendar:
    return vietnam_public_calendar(years, office_hours=parse_office_hours(office_hours))


@lru_cache(maxsize=512)
def _with_changes(
    years: tuple[int, ...], office_hours: str, changes: tuple[_Change, ...]
) -> WorkCalendar:
    # Cached by value so that dossiers sharing a calendar share its day index too.
    national = _national(years, office_hours)
    days_off, working = set(national.days_off), set(national.extra_working_days)
    for day, kind in changes:
        if kind == OverrideKind.DAY_OFF:
            days_off.add(day)
            working.discard(day)
        else:
            working.add(day)
            days_off.discard(day)
    return WorkCalendar(
        frozenset(days_off), frozenset(working), office_hours=national.office_hours, tz=national.tz
    )


def work_calendar_for(*, unit: Any = None, as_of: datetime, years: Iterable[int]) -> WorkCalendar:
    """The calendar as it stood at `as_of` for `unit` (a dossier's: as_of=dossier.received_at).

    Pass every year a deadline may reach, e.g. the reception year and the next.
    """
    wanted = tuple(sorted(set(years)))
    if not wanted:
        raise ValueError("at least one year is needed to build a calendar")
    changes = _effective_changes(unit=unit, as_of=as_of, years=wanted)
    return _with_changes(wanted, settings.MOTCUA_OFFICE_HOURS, changes)


def work_calendars_for(
    *, units: Iterable[Any], as_of: datetime, years: Iterable[int]
) -> dict[int, WorkCalendar]:
    """`work_calendar_for` of each unit (by id), from one query."""
    units = list(units)
    wanted = tuple(sorted(set(years)))
    if not units or not wanted:
        return {}
    ancestors = {i for unit in units for i in _ancestor_ids(unit)}
    rows = _override_rows(
        Q(unit__isnull=True) | Q(unit_id__in=ancestors), as_of=as_of, years=wanted
    )
    return {
        unit.pk: _with_changes(wanted, settings.MOTCUA_OFFICE_HOURS, _changes_for(unit, rows))
        for unit in units
    }


def working_day_length() -> timedelta:
    """Office time in one working day, from settings.MOTCUA_OFFICE_HOURS (no query)."""
    return _national((date.today().year,), settings.MOTCUA_OFFICE_HOURS).working_day_length


def deadline_rules() -> DeadlineRules:
    """The province's counting rules from settings MOTCUA_DAY_ONE and MOTCUA_SAME_DAY_CUTOFF."""
    try:
        return DeadlineRules(
            # DeadlineRules checks the value; the cast only tells the type checker.
            day_one=cast(Literal["next", "same"], settings.MOTCUA_DAY_ONE),
            same_day_cutoff=parse_time_of_day(settings.MOTCUA_SAME_DAY_CUTOFF),
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"MOTCUA_DAY_ONE / MOTCUA_SAME_DAY_CUTOFF: {error}") from error


def calendar_overrides_list(
    *, year: int | None = None, unit: Any = None, include_revoked: bool = True
) -> QuerySet[CalendarOverride]:
    """Overrides by date, optionally of one year and those that apply to one unit."""
    overrides = CalendarOverride.objects.select_related("unit", "created_by", "revoked_by")
    if year is not None:
        overrides = overrides.filter(date__year=year)
    if unit is not None:
        overrides = overrides.filter(_scope(unit))
    if not include_revoked:
        overrides = overrides.filter(revoked_at__isnull=True)
    return overrides.order_by("date", "created_at")
