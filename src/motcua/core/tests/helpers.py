"""A dossier received the way a counter system does it: through the REST API."""

from __future__ import annotations

import uuid
from typing import Any

from django.test import Client

# The demo's system client of the Huế center (demo/management/commands/load_demo.py).
DEMO_TOKEN = "motcua-demo-token-hue-000000000000000000"
LAND_REGISTRATION = "1.013978"
# Nguyễn Văn An, the demo citizen "congdan": his verified ID number opens the dossier to him.
CONGDAN_ID_NUMBER = "046090012345"


def intake(*, id_number: str = CONGDAN_ID_NUMBER) -> dict[str, Any]:
    """Receive a land registration through the API; the answer (code, lookup secret, …)."""
    api = Client(headers={"Authorization": f"Token {DEMO_TOKEN}"})
    procedure = api.get(f"/api/v1/procedures/{LAND_REGISTRATION}/").json()
    mandatory = [{"id": c["id"]} for c in procedure["components"] if c["mandatory"]]
    response = api.post(
        "/api/v1/dossiers/",
        {
            "procedure": LAND_REGISTRATION,
            "applicant": {
                "name": "Nguyễn Văn An",
                "id_number": id_number,
                "phone": "0905111222",
                "email": "an.nguyen@example.vn",
            },
            "components": mandatory,
        },
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.content
    answer: dict[str, Any] = response.json()
    return answer
