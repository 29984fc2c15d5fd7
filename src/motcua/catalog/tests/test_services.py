from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from motcua.audit.models import Event
from motcua.catalog.models import (
    FeeItem,
    Procedure,
    ProcedureComponent,
    ProcedureVersion,
    Sector,
    StatutoryUnit,
)
from motcua.catalog.services import catalog_import, procedure_version_publish
from motcua.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    models = (Sector, Procedure, ProcedureVersion, ProcedureComponent, FeeItem, Event)
    return {model.__name__: model.objects.count() for model in models}


def test_it_imports_the_demo_catalogue_with_version_one_of_every_procedure(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    outcomes = catalog_import(actor=None, records=demo_records)

    assert len(demo_records) >= 14
    assert {o.status for o in outcomes} == {"created"}
    assert Procedure.objects.count() == len(demo_records)
    assert set(ProcedureVersion.objects.values_list("number", flat=True)) == {1}
    assert not ProcedureVersion.objects.filter(components__isnull=True).exists()
    events = Event.objects.filter(kind="procedure.version_published")
    assert events.count() == len(demo_records)
    assert {e.data["version"] for e in events} == {1}


def test_it_covers_several_statutory_units_in_the_demo_catalogue(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)

    units = set(ProcedureVersion.objects.values_list("statutory_unit", flat=True))
    assert units == set(StatutoryUnit.values)


def test_it_leaves_an_unchanged_catalogue_alone(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)
    before = _row_counts()
    stamps = list(Procedure.objects.values_list("updated_at", flat=True))

    outcomes = catalog_import(actor=None, records=demo_records)

    assert {o.status for o in outcomes} == {"unchanged"}
    assert _row_counts() == before
    assert list(Procedure.objects.values_list("updated_at", flat=True)) == stamps


def test_it_publishes_version_two_when_a_fee_changes_and_keeps_version_one(
    demo_units: None, record: dict[str, Any]
) -> None:
    first = procedure_version_publish(actor=None, record=record)
    record["fees"][0]["amount"] = 3000
    record["components"].append({"name": "Giấy tờ bổ sung", "form": "copy"})

    second = procedure_version_publish(actor=None, record=record)

    assert (first.status, second.status) == ("created", "new_version")
    assert second.version.number == 2
    old = ProcedureVersion.objects.get(pk=first.version.pk)
    assert [f.amount for f in old.fee_items.all()] == [2000]
    assert old.components.count() == 2
    assert [f.amount for f in second.version.fee_items.all()] == [3000]
    assert second.version.components.count() == 3
    assert Procedure.objects.get().current_version == second.version
    last = Event.objects.order_by("seq").last()
    assert last is not None
    assert last.data == {"version": 2, "hash": second.version.content_hash}
    assert last.target_id == "2.000815"


def test_it_refuses_to_change_a_published_version_in_place(
    demo_units: None, record: dict[str, Any]
) -> None:
    version = procedure_version_publish(actor=None, record=record).version
    version.statutory_amount = Decimal(2)
    component = version.components.first()
    assert component is not None
    component.quantity = 5

    with pytest.raises(Conflict):
        version.save()
    with pytest.raises(Conflict):
        component.save()
    assert ProcedureVersion.objects.get().statutory_amount == Decimal(1)


def test_it_updates_the_procedure_and_sector_with_a_new_version(
    demo_units: None, record: dict[str, Any]
) -> None:
    procedure_version_publish(actor=None, record=record)
    record["name"] = "Chứng thực bản sao từ bản chính (tên mới)"
    record["sector"]["name"] = "Chứng thực (đổi tên)"

    outcome = procedure_version_publish(actor=None, record=record)

    procedure = Procedure.objects.select_related("sector").get()
    assert outcome.status == "new_version"
    assert procedure.name == "Chứng thực bản sao từ bản chính (tên mới)"
    assert procedure.search_text == "2.000815 chung thuc ban sao tu ban chinh (ten moi)"
    assert procedure.sector.name == "Chứng thực (đổi tên)"
    assert ProcedureVersion.objects.get(number=1).name.startswith(
        "Chứng thực bản sao từ bản chính giấy"
    )


def test_it_records_who_published(demo_units: None, record: dict[str, Any]) -> None:
    user = get_user_model().objects.create_user(username="kiemsoat", full_name="Võ Thị Mai")

    version = procedure_version_publish(actor=user, record=record).version

    assert version.published_by == user
    assert Event.objects.get().actor == user


@pytest.mark.parametrize(
    ("break_record", "field"),
    [
        (lambda r: r.update(competent_unit="000.99.99.H57"), "competent_unit"),
        (lambda r: r.update(components=[]), "components"),
        (lambda r: r.update(statutory_unit="weeks"), "statutory_unit"),
    ],
    ids=["unknown-unit", "no-components", "bad-statutory-unit"],
)
def test_it_names_the_bad_record_and_writes_nothing(
    demo_units: None, demo_records: list[dict[str, Any]], break_record: Any, field: str
) -> None:
    records = demo_records[:3]
    break_record(records[2])
    code = records[2]["national_code"]

    with pytest.raises(ValidationFailed) as caught:
        catalog_import(actor=None, records=records)

    assert f"Bản ghi số 3 ({code})" in str(caught.value.message)
    assert caught.value.extra == {"field": field, "record": 3, "national_code": code}
    assert set(_row_counts().values()) == {0}


@pytest.mark.parametrize(
    ("break_record", "field", "words"),
    [
        (lambda r: r["fees"][0].update(amount=-1), "fees[1].amount", "không được âm"),
        (
            lambda r: r["components"].append({"name": r["components"][0]["name"], "form": "copy"}),
            "components[3].name",
            "bị lặp lại",
        ),
        (lambda r: r["components"][0].update(quantity=0), "components[1].quantity", "từ 1"),
        (lambda r: r["components"][0].update(form="scan"), "components[1].form", "không hợp lệ"),
        (
            lambda r: r.update(pause_for_financial_obligation=True),
            "pause_for_financial_obligation",
            "nghĩa vụ tài chính",
        ),
        (lambda r: r.update(national_code=2.00072), "national_code", "ngoặc kép"),
        (lambda r: r.update(online_mode="level4"), "online_mode", "full, partial, none"),
        (lambda r: r.update(fee=[]), "record", "fee"),
        (
            lambda r: r.update(statutory_amount=0, statutory_unit="working_days"),
            "statutory_amount",
            "lớn hơn 0",
        ),
        (lambda r: r.pop("result_type"), "result_type", "Thiếu trường bắt buộc"),
    ],
    ids=[
        "negative-fee",
        "duplicate-component",
        "zero-quantity",
        "bad-form",
        "pause-without-obligation",
        "unquoted-code",
        "bad-online-mode",
        "unknown-key",
        "zero-time",
        "missing-result",
    ],
)
def test_it_explains_what_is_wrong_with_a_record(
    demo_units: None, record: dict[str, Any], break_record: Any, field: str, words: str
) -> None:
    break_record(record)

    with pytest.raises(ValidationFailed) as caught:
        procedure_version_publish(actor=None, record=record)

    assert caught.value.extra["field"] == field
    assert words in str(caught.value.message)
    assert Procedure.objects.count() == 0


def test_it_refuses_the_same_code_twice_in_one_import(
    demo_units: None, record: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        catalog_import(actor=None, records=[record, dict(record)])

    assert "Bản ghi số 2 (2.000815)" in str(caught.value.message)
    assert Procedure.objects.count() == 0


def test_it_rolls_a_dry_run_back(demo_units: None, demo_records: list[dict[str, Any]]) -> None:
    outcomes = catalog_import(actor=None, records=demo_records, dry_run=True)

    assert {o.status for o in outcomes} == {"created"}
    assert set(_row_counts().values()) == {0}


def test_it_hashes_the_content_not_the_layout(demo_units: None, record: dict[str, Any]) -> None:
    first = procedure_version_publish(actor=None, record=record)
    # Defaults written out and keys reordered: the same content, so nothing new is published.
    same = dict(reversed(list(record.items())))
    same["components"][0] = {**same["components"][0], "mandatory": True}
    same["statutory_amount"] = "1.00"

    again = procedure_version_publish(actor=None, record=same)

    assert again.status == "unchanged"
    assert again.version == first.version


@pytest.mark.parametrize(
    ("amount", "unit", "label"),
    [
        (Decimal("15.00"), StatutoryUnit.WORKING_DAYS, "15 ngày làm việc"),
        (Decimal("4"), StatutoryUnit.WORKING_HOURS, "4 giờ làm việc"),
        (Decimal("0.50"), StatutoryUnit.WORKING_DAYS, "0,5 ngày làm việc"),
        (Decimal("10"), StatutoryUnit.CALENDAR_DAYS, "10 ngày"),
        (Decimal("1"), StatutoryUnit.SAME_DAY, "trong ngày"),
    ],
)
def test_it_labels_the_statutory_time_in_vietnamese(
    amount: Decimal, unit: StatutoryUnit, label: str
) -> None:
    version = ProcedureVersion(statutory_amount=amount, statutory_unit=unit)

    assert version.statutory_time_label == label
