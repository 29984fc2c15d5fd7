"""Administrators' changes to what the reports are measured against, and the seed of defaults."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from motcua.audit.services import event_append
from motcua.reports.models import (
    INDICATOR_GROUPS,
    IndicatorCode,
    IndicatorSetting,
    OnlineTarget,
)


@dataclass(frozen=True)
class IndicatorDefault:
    maximum: Decimal
    target: Decimal | None
    note: str


# Decision 766/QĐ-TTg gives each group its points (18, 20, 22, 22, 18); how a group's points are
# split between its indicators, and the rates worth full marks, are marked "(check)" where they
# were not confirmed against the decision's annex. Full marks at 80% (3.1, 4.2, 4.3), 50% (3.3)
# and 90% (5.4) come from DOMAIN.md §6; a rate without a stated target scores proportionally
# (target 100%). Indicators the system cannot compute (1.x, 3.2, 3.4, 3.5, 5.1–5.3) are not here.
INDICATOR_DEFAULTS: dict[str, IndicatorDefault] = {
    IndicatorCode.ON_TIME: IndicatorDefault(
        Decimal(20), Decimal(100), "Cả 20 điểm của nhóm tiến độ; tỷ lệ 100% (check)."
    ),
    IndicatorCode.RESOLUTION_TIME: IndicatorDefault(
        Decimal(0), None, "Theo dõi, không chấm điểm (check)."
    ),
    IndicatorCode.ONLINE_PROCEDURES: IndicatorDefault(
        Decimal(6), Decimal(80), "6 điểm (check); đạt tối đa từ 80%."
    ),
    IndicatorCode.ONLINE_DOSSIERS: IndicatorDefault(
        Decimal(8), Decimal(50), "8 điểm (check); đạt tối đa từ 50%."
    ),
    IndicatorCode.ONLINE_PAYMENT: IndicatorDefault(
        Decimal(4), Decimal(100), "4 điểm (check); tỷ lệ 100% (check)."
    ),
    IndicatorCode.ELECTRONIC_RESULTS: IndicatorDefault(
        Decimal(6), Decimal(100), "6 điểm (check); tỷ lệ 100% (check)."
    ),
    IndicatorCode.DIGITISED: IndicatorDefault(
        Decimal(8), Decimal(80), "8 điểm (check); đạt tối đa từ 80%."
    ),
    IndicatorCode.REUSE: IndicatorDefault(
        Decimal(8), Decimal(80), "8 điểm (check); đạt tối đa từ 80%."
    ),
    IndicatorCode.SATISFACTION: IndicatorDefault(
        Decimal(6), Decimal(90), "6 trên 18 điểm của nhóm hài lòng; đạt tối đa từ 90%."
    ),
}

# Huế's 2017 goals (DOMAIN.md §1), the center's targets when nothing else was set.
CENTER_TARGET_DEFAULTS = {
    "level3_share": Decimal(100),
    "level4_share": Decimal(50),
    "online_received_share": Decimal(30),
    "online_returned_share": Decimal(30),
    "note": "Mục tiêu năm 2017 của Trung tâm Phục vụ hành chính công thành phố Huế.",
}
TARGET_FIELDS = (
    "level3_share",
    "level4_share",
    "online_received_share",
    "online_returned_share",
)


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _data(row: IndicatorSetting | OnlineTarget) -> dict[str, Any]:
    data = model_to_dict(row, exclude=["id", "updated_by", "updated_at"])
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in data.items()}


@dataclass(frozen=True)
class Seeded:
    settings: int
    targets: int


def index_settings_seed(*, year: int, actor: Any = None) -> Seeded:
    """Give `year` its indicator settings and the center's online targets where it has none:
    the latest earlier year's values, else the defaults. Rows already there are left alone."""
    with transaction.atomic():
        settings = _settings_seed(year=year, actor=actor)
        targets = _center_target_seed(year=year, actor=actor)
        if settings or targets:
            event_append(
                actor=actor,
                kind="reports.index_settings_seeded",
                target_type="report_settings",
                target_id=year,
                data={"indicators": settings, "center_target": targets},
            )
    return Seeded(settings=settings, targets=targets)


def _settings_seed(*, year: int, actor: Any) -> int:
    existing = set(IndicatorSetting.objects.filter(year=year).values_list("code", flat=True))
    earlier = IndicatorSetting.objects.filter(year__lt=year).order_by("-year").first()
    previous = (
        {s.code: s for s in IndicatorSetting.objects.filter(year=earlier.year)} if earlier else {}
    )
    rows = []
    for code in IndicatorCode:
        if code in existing:
            continue
        source = previous.get(code)
        default = INDICATOR_DEFAULTS[code]
        rows.append(
            IndicatorSetting(
                year=year,
                code=code,
                group=INDICATOR_GROUPS[code],
                name=source.name if source else str(code.label),
                maximum=source.maximum if source else default.maximum,
                target=source.target if source else default.target,
                note=source.note if source else default.note,
                updated_at=timezone.now(),
                updated_by=_user_or_none(actor),
            )
        )
    IndicatorSetting.objects.bulk_create(rows)
    return len(rows)


def _center_target_seed(*, year: int, actor: Any) -> int:
    if OnlineTarget.objects.filter(year=year, unit__isnull=True).exists():
        return 0
    previous = (
        OnlineTarget.objects.filter(year__lt=year, unit__isnull=True).order_by("-year").first()
    )
    values = (
        {name: getattr(previous, name) for name in (*TARGET_FIELDS, "note")}
        if previous
        else CENTER_TARGET_DEFAULTS
    )
    OnlineTarget.objects.create(
        year=year, unit=None, updated_at=timezone.now(), updated_by=_user_or_none(actor), **values
    )
    return 1


def indicator_setting_save(*, actor: Any, setting: IndicatorSetting) -> IndicatorSetting:
    """Record an administrator's change to an indicator's points or target (already cleaned)."""
    with transaction.atomic():
        setting.updated_at, setting.updated_by = timezone.now(), _user_or_none(actor)
        setting.save()
        event_append(
            actor=actor,
            kind="reports.indicator_setting_saved",
            target_type="indicator_setting",
            target_id=setting.pk,
            data=_data(setting),
        )
    return setting


def online_target_save(*, actor: Any, target: OnlineTarget) -> OnlineTarget:
    """Record an administrator's online-service targets for a year (already cleaned)."""
    with transaction.atomic():
        target.updated_at, target.updated_by = timezone.now(), _user_or_none(actor)
        target.save()
        event_append(
            actor=actor,
            kind="reports.online_target_saved",
            target_type="online_target",
            target_id=target.pk,
            data=_data(target) | {"unit": target.unit.code if target.unit else None},
        )
    return target


def online_target_delete(*, actor: Any, target: OnlineTarget) -> None:
    """Remove an agency's own targets (it is held to the center's again), or the center's."""
    with transaction.atomic():
        data = _data(target) | {"unit": target.unit.code if target.unit else None}
        pk = target.pk
        target.delete()
        event_append(
            actor=actor,
            kind="reports.online_target_deleted",
            target_type="online_target",
            target_id=pk,
            data=data,
        )
