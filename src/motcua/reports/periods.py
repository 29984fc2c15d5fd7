"""Reporting periods: a day, an ISO week, a month, a quarter, six months, nine months or a year,
each the half-open interval [start, end) of local midnights in Vietnam (settings.TIME_ZONE).

A dossier received at 23:59 on the last day of a month belongs to that month, one received at
00:00 on the first day of the next to the next: the bounds are instants, compared with the
stored UTC instants, so no date arithmetic in SQL decides which side of the line a dossier is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core.errors import ValidationFailed


class PeriodKind(models.TextChoices):
    DAY = "day", gettext_lazy("Ngày")
    WEEK = "week", gettext_lazy("Tuần")
    MONTH = "month", gettext_lazy("Tháng")
    QUARTER = "quarter", gettext_lazy("Quý")
    HALF = "half", gettext_lazy("6 tháng")
    NINE_MONTHS = "nine_months", gettext_lazy("9 tháng")
    YEAR = "year", gettext_lazy("Năm")


# The periods of the operational report (the dashboard also uses days and weeks).
REPORT_KINDS = (
    PeriodKind.MONTH,
    PeriodKind.QUARTER,
    PeriodKind.HALF,
    PeriodKind.NINE_MONTHS,
    PeriodKind.YEAR,
)
# How many periods of a kind a year holds (a day's number is its day of the year, a week's its
# ISO week number, whose year is the ISO year). Nine months are January to September.
_PER_YEAR = {
    PeriodKind.MONTH: 12,
    PeriodKind.QUARTER: 4,
    PeriodKind.HALF: 2,
    PeriodKind.NINE_MONTHS: 1,
    PeriodKind.YEAR: 1,
}
_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6}
_ROMAN = ("I", "II", "III", "IV")
# The years a report may be asked for (the year after the last one still has an end instant).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    """The instant a local day starts."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_zone())


@dataclass(frozen=True)
class Period:
    """A reporting period; `start` and `end` are aware instants, the end excluded."""

    kind: PeriodKind
    year: int
    number: int = 1

    def __post_init__(self) -> None:
        # Reading the first day checks the number against the kind (ValueError when wrong).
        self.first_day  # noqa: B018

    @classmethod
    def of(cls, kind: str, year: int, number: int = 1) -> Period:
        """A period from user input; a wrong kind, year or number is a validation error."""
        try:
            if not FIRST_YEAR <= int(year) <= LAST_YEAR:
                raise ValueError(year)
            return cls(PeriodKind(kind), int(year), int(number))
        except (ValueError, TypeError, OverflowError) as error:
            raise ValidationFailed(_("Kỳ báo cáo không hợp lệ."), code="bad_period") from error

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        """The period of `kind` that holds the local date `day`."""
        kind = PeriodKind(kind)
        if kind == PeriodKind.DAY:
            return cls(kind, day.year, day.timetuple().tm_yday)
        if kind == PeriodKind.WEEK:
            iso = day.isocalendar()
            return cls(kind, iso.year, iso.week)
        if kind in _MONTHS:
            return cls(kind, day.year, (day.month - 1) // _MONTHS[kind] + 1)
        return cls(kind, day.year, 1)

    @classmethod
    def parse(cls, token: str) -> Period:
        """The period written by `token` ("month:2027:2"), as it travels in a URL."""
        parts = token.split(":")
        if len(parts) != 3:
            raise ValidationFailed(_("Kỳ báo cáo không hợp lệ."), code="bad_period")
        return cls.of(*parts)  # type: ignore[arg-type]

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.year}:{self.number}"

    @property
    def first_day(self) -> dt.date:
        if self.kind == PeriodKind.DAY:
            if not 1 <= self.number <= _days_in_year(self.year):
                raise ValueError(f"day {self.number} of {self.year}")
            return dt.date(self.year, 1, 1) + dt.timedelta(days=self.number - 1)
        if self.kind == PeriodKind.WEEK:
            return dt.date.fromisocalendar(self.year, self.number, 1)
        if not 1 <= self.number <= _PER_YEAR[self.kind]:
            raise ValueError(f"{self.kind} {self.number}")
        return dt.date(self.year, (self.number - 1) * _MONTHS.get(self.kind, 0) + 1, 1)

    @property
    def end_day(self) -> dt.date:
        """The first local date after the period."""
        first = self.first_day
        if self.kind == PeriodKind.DAY:
            return first + dt.timedelta(days=1)
        if self.kind == PeriodKind.WEEK:
            return first + dt.timedelta(days=7)
        months = {**_MONTHS, PeriodKind.NINE_MONTHS: 9, PeriodKind.YEAR: 12}[self.kind]
        index = first.month - 1 + months
        return dt.date(first.year + index // 12, index % 12 + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.end_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.end_day)

    def as_of(self, now: dt.datetime | None = None) -> dt.datetime:
        """The instant the period's open dossiers are judged at: its end, or now if sooner."""
        return min(self.end, now or timezone.now())

    def previous(self) -> Period:
        return Period.containing(self.kind, self.first_day - dt.timedelta(days=1))

    @property
    def label(self) -> str:
        """How the period is named on a report: "Tháng 02/2027", "Quý I/2027", ..."""
        year = self.year
        if self.kind == PeriodKind.DAY:
            return _("Ngày %(day)s") % {"day": f"{self.first_day:%d/%m/%Y}"}
        if self.kind == PeriodKind.WEEK:
            return _("Tuần %(n)s/%(y)s (%(a)s–%(b)s)") % {
                "n": self.number,
                "y": year,
                "a": f"{self.first_day:%d/%m}",
                "b": f"{self.last_day:%d/%m/%Y}",
            }
        if self.kind == PeriodKind.MONTH:
            return _("Tháng %(m)s/%(y)s") % {"m": f"{self.number:02d}", "y": year}
        if self.kind == PeriodKind.QUARTER:
            return _("Quý %(q)s/%(y)s") % {"q": _ROMAN[self.number - 1], "y": year}
        if self.kind == PeriodKind.HALF:
            if self.number == 1:
                return _("6 tháng đầu năm %(y)s") % {"y": year}
            return _("6 tháng cuối năm %(y)s") % {"y": year}
        if self.kind == PeriodKind.NINE_MONTHS:
            return _("9 tháng đầu năm %(y)s") % {"y": year}
        return _("Năm %(y)s") % {"y": year}

    @property
    def range_label(self) -> str:
        return _("Từ ngày %(start)s đến ngày %(end)s") % {
            "start": f"{self.first_day:%d/%m/%Y}",
            "end": f"{self.last_day:%d/%m/%Y}",
        }


def _days_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def period_numbers(kind: str) -> range:
    """The numbers a report period of `kind` takes in a year (1–12 for months, ...)."""
    return range(1, _PER_YEAR[PeriodKind(kind)] + 1)


def months_back(*, until: Period, count: int) -> list[Period]:
    """The `count` months that end with the month `until`, oldest first (for trends)."""
    months = [until]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]
