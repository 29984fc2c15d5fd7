"""Fixtures of the fault tests: the demo database built once per session, a var directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.production.servers import MAIN_PG_URL, database_drop, demo_template


@pytest.fixture(scope="session")
def demo_database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo center migrated and loaded on the main PostgreSQL server, to be copied."""
    name = demo_template(url=MAIN_PG_URL, var_dir=tmp_path_factory.mktemp("template-var"))
    yield name
    database_drop(url=MAIN_PG_URL, name=name)


@pytest.fixture
def server_var_dir(tmp_path: Path) -> Path:
    """The servers' MOTCUA_VAR_DIR: documents, mail and SMS files, PKI."""
    path = tmp_path / "var"
    path.mkdir()
    return path
