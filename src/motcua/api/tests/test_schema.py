"""The committed OpenAPI schema (docs/openapi.yaml) is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import translation

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "openapi.yaml"


def test_it_matches_the_committed_schema(tmp_path):
    generated = tmp_path / "openapi.yaml"

    # Choice labels are translated text: generate in the language `make schema` uses.
    with translation.override(settings.LANGUAGE_CODE):
        call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")

    assert generated.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml is stale: run `make schema` and commit the result"
    )


def test_it_serves_the_schema(client):
    response = client.get("/api/v1/schema/")

    assert response.status_code == 200
    assert b"/api/v1/dossiers/" in response.content
