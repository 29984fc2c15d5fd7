from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from motcua.audit.models import Event
from motcua.catalog.models import Procedure, ProcedureVersion

pytestmark = pytest.mark.django_db


def _run(*args: Any, **options: Any) -> str:
    out = StringIO()
    call_command("import_catalog", *args, stdout=out, **options)
    return out.getvalue()


def test_it_imports_the_demo_file_and_reports_each_procedure(
    demo_units: None, catalog_file: Path, demo_records: list[dict[str, Any]]
) -> None:
    output = _run(str(catalog_file))

    assert Procedure.objects.count() == len(demo_records)
    assert "1.001193  created (version 1)  Đăng ký khai sinh" in output
    assert f"{len(demo_records)} procedures: {len(demo_records)} created" in output


def test_it_reports_unchanged_procedures_on_a_second_run(
    demo_units: None, catalog_file: Path, demo_records: list[dict[str, Any]]
) -> None:
    _run(str(catalog_file))

    output = _run(str(catalog_file))

    assert f"{len(demo_records)} unchanged" in output
    assert "1.001193  unchanged (version 1)" in output
    assert ProcedureVersion.objects.count() == len(demo_records)


def test_it_writes_nothing_on_a_dry_run(demo_units: None, catalog_file: Path) -> None:
    output = _run(str(catalog_file), "--dry-run")

    assert "dry run: nothing was written" in output
    assert "created (version 1)" in output
    assert Procedure.objects.count() == 0
    assert Event.objects.count() == 0


def test_it_reads_json_and_reports_a_new_version(
    demo_units: None, tmp_path: Path, record: dict[str, Any]
) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"procedures": [record]}, ensure_ascii=False), encoding="utf-8")
    _run(str(path))
    record["fees"][0]["amount"] = 3000
    path.write_text(json.dumps({"procedures": [record]}, ensure_ascii=False), encoding="utf-8")

    output = _run(str(path))

    assert "2.000815  new version 2" in output


def test_it_records_the_actor(demo_units: None, catalog_file: Path) -> None:
    user = get_user_model().objects.create_user(username="kiemsoat")

    _run(str(catalog_file), actor="kiemsoat")

    assert set(ProcedureVersion.objects.values_list("published_by", flat=True)) == {user.pk}


def test_it_fails_with_the_validation_message_on_bad_data(
    demo_units: None, tmp_path: Path, record: dict[str, Any]
) -> None:
    record["receiving_unit"] = "000.99.99.H57"
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps({"procedures": [record]}, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(CommandError, match=r"Bản ghi số 1 \(2\.000815\).*000\.99\.99\.H57"):
        _run(str(path))
    assert Procedure.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("catalog.txt", "procedures: []", "Unsupported file type"),
        ("catalog.yaml", "- just a list", "top-level 'procedures:' list"),
        ("catalog.yaml", "procedures: [unclosed", "Cannot parse"),
    ],
)
def test_it_refuses_files_it_cannot_read(
    db: None, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        _run(str(path))


def test_it_refuses_an_unknown_actor(db: None, catalog_file: Path) -> None:
    with pytest.raises(CommandError, match="Unknown user"):
        _run(str(catalog_file), actor="nobody")
