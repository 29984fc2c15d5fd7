"""An action on a dossier locks the dossier's row only, never the catalogue and unit rows every
dossier shares: locking those too made intakes, which check their foreign keys to them at
commit, deadlock against officers' actions under load (benchmarks/load.py found it)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from motcua.dossiers.processing.core import _locked
from motcua.dossiers.tests.helpers import receive

LAND_FIRST_REGISTRATION = "1.013978"

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite locks the file)"
)


def _locks_nowait(table: str, pk: int) -> bool:
    """Whether another session can lock this row at once."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=False) as other, other.cursor() as cursor:
        try:
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE NOWAIT', [pk])
        except psycopg.errors.LockNotAvailable:
            return False
        return True


@pytest.mark.django_db(transaction=True)
def test_locking_a_dossier_leaves_its_procedure_version_and_units_free(demo):
    dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    with transaction.atomic():
        locked = _locked(dossier.code)
        assert not _locks_nowait("dossiers_dossier", locked.pk)  # the dossier is held ...
        version = locked.procedure_version
        assert _locks_nowait(version._meta.db_table, version.pk)  # ... its neighbours are not
        assert _locks_nowait(version.procedure._meta.db_table, version.procedure.pk)
        assert _locks_nowait(locked.competent_unit._meta.db_table, locked.competent_unit.pk)
        assert _locks_nowait(locked.receiving_unit._meta.db_table, locked.receiving_unit.pk)
