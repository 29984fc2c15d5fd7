"""The declaration form (tờ khai) of a procedure version: read, checked and versioned."""

from __future__ import annotations

import json
from typing import Any

import pytest

from motcua.catalog.models import ProcedureVersion
from motcua.catalog.services import catalog_import, procedure_version_publish, record_canonical
from motcua.core.errors import ValidationFailed
from motcua.lib.jsonform import form_clean, form_fields, schema_check

pytestmark = pytest.mark.django_db

BIRTH = "1.001193"
CRIMINAL_RECORD = "3.000333"
WITH_FORMS = {"1.001612", "2.000720", BIRTH, "1.000656", "1.004222", "1.010041", CRIMINAL_RECORD}


def _of(records: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(r for r in records if r["national_code"] == code)


def test_it_gives_every_full_online_procedure_of_the_demo_a_usable_short_form(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)

    versions = ProcedureVersion.objects.select_related("procedure")
    with_form = {v.procedure.national_code: v.form_schema for v in versions if v.form_schema}
    assert set(with_form) == WITH_FORMS
    full = {v.procedure.national_code for v in versions if v.online_mode == "full"}
    assert full == WITH_FORMS
    for schema in with_form.values():
        assert schema_check(schema) == []
        assert 4 <= len(form_fields(schema)) <= 10


def test_it_keeps_the_order_of_the_file_even_where_keys_get_sorted(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, BIRTH)
    version = procedure_version_publish(actor=None, record=record).version
    # PostgreSQL's jsonb gives keys back sorted; the written-out order must survive that.
    stored = json.loads(json.dumps(version.form_schema, sort_keys=True))

    names = [field.name for field in form_fields(stored)]

    assert names == list(record["form"]["properties"])
    assert names[:3] == ["ho_ten", "ngay_sinh", "gioi_tinh"]


def test_it_cleans_a_birth_declaration_with_the_published_form(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    version = procedure_version_publish(actor=None, record=_of(demo_records, BIRTH)).version
    post = {
        "ho_ten": "Trần Bảo Ngọc",
        "ngay_sinh": "02/01/2026",
        "gioi_tinh": "nu",
        "dan_toc": "Kinh",
        "quoc_tich": "Việt Nam",
        "noi_sinh": "Bệnh viện Trung ương Huế, phường Thuận Hóa, thành phố Huế",
        "ho_ten_me": "Lê Thị Hoa",
        "quan_he": "me",
    }

    data, errors = form_clean(version.form_schema, post)

    assert errors == {}
    assert data["ngay_sinh"] == "2026-01-02"
    assert "ho_ten_cha" not in data


def test_it_refuses_to_publish_a_broken_form_and_writes_nothing(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, CRIMINAL_RECORD)
    record["form"]["properties"]["so_luong"] = {"type": "array", "title": "Số lượng"}
    record["form"]["required"].append("khong_co")

    with pytest.raises(ValidationFailed) as caught:
        catalog_import(actor=None, records=demo_records)

    assert caught.value.extra["field"] == "form"
    assert caught.value.extra["national_code"] == CRIMINAL_RECORD
    assert "Tờ khai điện tử (form) không dùng được" in caught.value.message
    assert "«so_luong»" in caught.value.message
    assert "«khong_co»" in caught.value.message
    assert not ProcedureVersion.objects.exists()


@pytest.mark.parametrize(
    "form",
    [
        "Tờ khai đăng ký khai sinh",
        [{"name": "ho_ten"}],
        {"type": "object", "properties": {"ho_ten": {"type": "string"}}},
    ],
    ids=["text", "list", "no-title"],
)
def test_it_refuses_a_form_that_is_not_a_usable_schema(
    demo_records: list[dict[str, Any]], form: Any
) -> None:
    record = _of(demo_records, BIRTH) | {"form": form}

    with pytest.raises(ValidationFailed) as caught:
        record_canonical(record)

    assert caught.value.extra == {"field": "form"}


def test_it_publishes_a_new_version_when_only_the_form_changes_and_keeps_the_old_form(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, CRIMINAL_RECORD)
    first = procedure_version_publish(actor=None, record=record).version
    record["form"]["properties"]["so_luong"]["maximum"] = 10

    second = procedure_version_publish(actor=None, record=record)

    assert second.status == "new_version"
    assert second.version.number == 2
    assert second.version.content_hash != first.content_hash
    assert second.version.form_schema["properties"]["so_luong"]["maximum"] == 10
    old = ProcedureVersion.objects.get(pk=first.pk)
    assert old.form_schema["properties"]["so_luong"]["maximum"] == 5
    assert procedure_version_publish(actor=None, record=record).status == "unchanged"


def test_it_publishes_a_new_version_when_the_fields_are_reordered(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, BIRTH)
    procedure_version_publish(actor=None, record=record)
    properties = record["form"]["properties"]
    record["form"]["properties"] = dict(reversed(list(properties.items())))

    outcome = procedure_version_publish(actor=None, record=record)

    assert outcome.status == "new_version"
    assert form_fields(outcome.version.form_schema)[0].name == "quan_he"


def test_it_leaves_the_content_of_a_record_without_form_as_it_was(
    demo_records: list[dict[str, Any]],
) -> None:
    # Records without a form hash as before forms existed, so no version was published for them.
    record = _of(demo_records, "2.000815")

    canonical = record_canonical(record)

    assert "form" not in canonical
    assert "form" in record_canonical(_of(demo_records, BIRTH))
