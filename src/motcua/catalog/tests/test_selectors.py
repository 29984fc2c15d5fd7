from __future__ import annotations

import copy
from typing import Any

import pytest

from motcua.agencies.models import Unit
from motcua.catalog.models import OnlineMode, Procedure
from motcua.catalog.selectors import (
    procedure_current_version,
    procedure_get,
    procedure_list,
    version_get,
)
from motcua.catalog.services import catalog_import, procedure_version_publish
from motcua.core.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(demo_units: None, demo_records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    catalog_import(actor=None, records=demo_records)
    return demo_records


def _codes(**filters: Any) -> list[str]:
    return [p.national_code for p in procedure_list(**filters)]


def test_it_finds_the_certified_copy_procedure_without_diacritics(catalogue: Any) -> None:
    assert _codes(search="chung thuc ban sao") == ["2.000815"]


def test_it_finds_birth_registration_whatever_the_accents(catalogue: Any) -> None:
    assert _codes(search="dang ky khai sinh") == ["1.001193"]
    assert _codes(search="Đăng ký khai sinh") == ["1.001193"]
    assert _codes(search="  ĐĂNG KÝ   KHAI SINH ") == ["1.001193"]


def test_it_finds_a_procedure_by_its_national_code(catalogue: Any) -> None:
    assert _codes(search="1.013831") == ["1.013831"]


def test_it_filters_by_sector_online_mode_and_receiving_unit(catalogue: Any) -> None:
    ward_center = Unit.objects.get(code="000.12.01.H57")

    assert _codes(sector_code="ho_tich") == ["1.000656", "1.000894", "1.001193"]
    assert "2.000884" in _codes(online_mode=OnlineMode.NONE)
    assert "1.001193" not in _codes(online_mode=OnlineMode.NONE)
    ward_codes = _codes(receiving_units=[ward_center])
    assert "1.001612" in ward_codes
    assert "1.013978" not in ward_codes


def test_it_filters_on_the_current_version_only(demo_units: None, record: dict[str, Any]) -> None:
    procedure_version_publish(actor=None, record=record)
    record["online_mode"] = "full"
    procedure_version_publish(actor=None, record=record)

    assert _codes(online_mode="full") == ["2.000815"]
    assert _codes(online_mode="partial") == []


def test_it_lists_only_active_procedures(catalogue: Any) -> None:
    Procedure.objects.filter(national_code="1.001193").update(is_active=False)

    assert "1.001193" not in _codes()


def _publish_many(records: list[dict[str, Any]], count: int) -> None:
    template = records[0]
    batch = []
    for index in range(count):
        record = copy.deepcopy(template)
        record["national_code"] = f"9.{index:06d}"
        batch.append(record)
    catalog_import(actor=None, records=batch)


@pytest.mark.parametrize("count", [3, 12])
def test_it_lists_procedures_in_a_fixed_number_of_queries(
    demo_units: None,
    demo_records: list[dict[str, Any]],
    django_assert_num_queries: Any,
    count: int,
) -> None:
    _publish_many(demo_records, count)
    # A second version for some, so "current" really has to pick the latest.
    changed = copy.deepcopy(demo_records[0])
    changed["national_code"] = "9.000001"
    changed["statutory_amount"] = 25
    procedure_version_publish(actor=None, record=changed)

    with django_assert_num_queries(2):
        rows = [
            (p.sector.name, p.current_version.number, p.current_version.receiving_unit.code)
            for p in procedure_list()
        ]

    assert len(rows) == count
    assert sorted(number for _, number, _ in rows) == [1] * (count - 1) + [2]


def test_it_gets_a_procedure_and_its_current_version(
    demo_units: None, record: dict[str, Any]
) -> None:
    procedure_version_publish(actor=None, record=record)
    record["fees"][0]["amount"] = 3000
    second = procedure_version_publish(actor=None, record=record).version

    procedure = procedure_get(national_code="2.000815")

    assert procedure_current_version(procedure=procedure) == second


def test_it_says_when_a_procedure_does_not_exist(db: None) -> None:
    with pytest.raises(NotFound) as caught:
        procedure_get(national_code="1.999999")

    assert "Không tìm thấy thủ tục" in str(caught.value.message)


def test_it_loads_a_version_with_its_components_fees_and_workflow_at_once(
    demo_units: None, record: dict[str, Any], django_assert_num_queries: Any
) -> None:
    pk = procedure_version_publish(actor=None, record=record).version.pk

    with django_assert_num_queries(4):
        version = version_get(pk=pk)
        names = [c.name for c in version.components.all()]
        fees = [f.amount for f in version.fee_items.all()]
        steps = [(s.code, s.unit.code) for s in version.workflow_steps.all()]
        labels = (
            version.procedure.sector.name,
            version.competent_unit.code,
            version.statutory_time_label,
        )

    assert names[0].startswith("Bản chính giấy tờ")
    assert fees == [2000]
    assert steps == [("tiep_nhan", "000.12.01.H57"), ("tra_ket_qua", "000.12.01.H57")]
    assert labels == ("Chứng thực", "000.12.03.H57", "trong ngày")
    with pytest.raises(NotFound):
        version_get(pk=pk + 1000)
