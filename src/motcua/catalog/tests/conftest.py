"""Fixtures for the catalogue tests: the demo organisation's units and the demo catalogue file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from motcua.agencies.models import Unit
from motcua.agencies.services import unit_upsert

SRC = Path(__file__).resolve().parents[2]
ORGANISATION_FILE = SRC / "demo" / "data" / "organisation.yaml"
CATALOG_FILE = SRC / "catalog" / "data" / "hue_catalog.yaml"


def _unit_tree_create(node: dict[str, Any], parent: Unit | None) -> None:
    unit = unit_upsert(code=node["code"], name=node["name"], kind=node["kind"], parent=parent)
    for child in node.get("children", []):
        _unit_tree_create(child, unit)


@pytest.fixture
def demo_units(db: None) -> None:
    """Every unit of the demo organisation tree (Huế's centers, land office, tax, police, wards)."""
    for node in yaml.safe_load(ORGANISATION_FILE.read_text(encoding="utf-8"))["units"]:
        _unit_tree_create(node, None)


@pytest.fixture(scope="session")
def catalog_file() -> Path:
    return CATALOG_FILE


@pytest.fixture(scope="session")
def _demo_records() -> list[dict[str, Any]]:
    return yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))["procedures"]


@pytest.fixture
def demo_records(_demo_records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A fresh deep copy of the demo catalogue's records, safe to change in a test."""
    return copy.deepcopy(_demo_records)


@pytest.fixture
def record(demo_records: list[dict[str, Any]]) -> dict[str, Any]:
    """The certified-copy procedure's record: small, with a per-page fee."""
    return next(r for r in demo_records if r["national_code"] == "2.000815")
