"""A land transfer driven through the API only, by the personas, on the calendar of Tết 2027.

The same timeline as the service-level journey (dossiers/tests/test_journey.py): received on
Monday 1 February 2027, Tết from Thursday 4 to Wednesday 10 February.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.audit.models import Event
from motcua.core.testing import sample_pdf
from motcua.dossiers.models import (
    Dossier,
    DossierNotice,
    DossierPause,
    DossierStep,
    Handover,
    PaymentNotice,
    SupplementRequest,
)
from motcua.notifications.models import Message

# Land-use right transfer: 8 working days; the wait for the financial obligation is excluded.
LAND_TRANSFER = "1.013831"
# A real PDF: results are signed, so they must parse.
PDF = sample_pdf()
VN = timedelta(hours=7)
APPLICANT = {
    "name": "Nguyễn Thị Hồng Nhung",
    "id_number": "046190001234",
    "address": "12 Lê Lợi, phường Thuận Hóa",
    "phone": "0912345678",
    "email": "nhung@example.vn",
}
TAX_LINES = [
    {"kind": "tax", "name": "Thuế thu nhập cá nhân", "amount": 30_000_000},
    {"kind": "charge", "name": "Lệ phí trước bạ", "amount": 7_500_000},
]


def local(*args: int) -> datetime:
    """A wall-clock time in Huế."""
    return datetime(*args, tzinfo=UTC) - VN


def at(*args: int) -> Any:
    """Time stands still at a wall-clock time in Huế."""
    return time_machine.travel(local(*args), tick=False)


def result_document() -> SimpleUploadedFile:
    return SimpleUploadedFile("ket-qua.pdf", PDF, content_type="application/pdf")


class Route:
    """One dossier and the clients of the people it passes through."""

    def __init__(self, personas: Any, procedure: str = LAND_TRANSFER) -> None:
        self.procedure = procedure
        self.desk = personas.officer
        self.head = personas.head
        self.specialist = personas.specialist
        self.tax = personas.tax_officer
        self.director = personas.director
        self.code = ""

    @property
    def url(self) -> str:
        return f"/api/v1/dossiers/{self.code}/"

    def receive(self) -> dict[str, Any]:
        procedure = self.desk.get(f"/api/v1/procedures/{self.procedure}/").json()
        body = {
            "procedure": self.procedure,
            "applicant": APPLICANT,
            "components": [{"id": c["id"]} for c in procedure["components"]],
        }
        response = self.desk.post(
            "/api/v1/dossiers/", body, format="json", headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        assert response.status_code == 201, response.json()
        self.code = response.json()["code"]
        return self.read()

    def read(self, client: Any = None) -> dict[str, Any]:
        response = (client or self.desk).get(self.url)
        assert response.status_code == 200, response.json()
        return response.json()

    def post(self, client: Any, action: str, body: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("format", "json")
        return client.post(f"{self.url}{action}/", {} if body is None else body, **kwargs)

    def act(self, client: Any, action: str, body: Any = None, *, status: int = 200, **kw: Any):  # type: ignore[no-untyped-def]
        """An action that must succeed; the dossier it answers with."""
        response = self.post(client, action, body, **kw)
        assert response.status_code == status, response.json()
        return response.json()

    def open_steps(self, dossier: dict[str, Any] | None = None) -> list[tuple[str, str]]:
        dossier = dossier or self.read()
        return [(s["code"], s["unit"]["code"]) for s in dossier["steps"] if not s["finished_at"]]

    def open_step_id(self) -> int:
        [step] = [s for s in self.read()["steps"] if not s["finished_at"]]
        return int(step["id"])

    def snapshot(self) -> tuple[Any, ...]:
        """Everything an action may write about this dossier."""
        of_dossier = {"dossier__code": self.code}
        return (
            Dossier.objects.filter(code=self.code).values().get(),
            list(DossierStep.objects.filter(**of_dossier).order_by("pk").values()),
            list(SupplementRequest.objects.filter(**of_dossier).values()),
            list(PaymentNotice.objects.filter(**of_dossier).values()),
            Handover.objects.filter(**of_dossier).count(),
            DossierNotice.objects.filter(**of_dossier).count(),
            DossierPause.objects.filter(**of_dossier).count(),
            Event.objects.filter(target_id=self.code).count(),
            Message.objects.filter(target_id=self.code).count(),
        )


# The journey's timeline, to bring a dossier to a stage of it: (stage, when, what).
TIMELINE: list[tuple[str, tuple[int, ...], Callable[[Route], Any]]] = [
    ("received", (2027, 2, 1, 9, 0), lambda r: r.receive()),
    (
        "assigned",
        (2027, 2, 1, 10, 0),
        lambda r: r.act(r.head, "assign", {"step": r.open_step_id(), "assignee": "chuyenvien"}),
    ),
    ("examined", (2027, 2, 2, 14, 0), lambda r: r.act(r.specialist, "forward")),
    (
        "payment_requested",
        (2027, 2, 3, 10, 0),
        lambda r: r.act(r.tax, "payment-notice", {"lines": TAX_LINES}, status=201),
    ),
    (
        "paid",
        (2027, 2, 12, 9, 0),
        lambda r: r.act(r.desk, "payment", {"receipt_number": "BL-0001"}),
    ),
    ("drafted", (2027, 2, 15, 9, 0), lambda r: r.act(r.specialist, "forward")),
    ("signed", (2027, 2, 16, 10, 0), lambda r: r.act(r.director, "forward")),
    (
        "resolved",
        (2027, 2, 16, 15, 0),
        lambda r: r.act(
            r.specialist,
            "result",
            {"result_number": "CS 123456", "document": result_document()},
            format="multipart",
        ),
    ),
]


def drive(route: Route, *, through: str, after: str = "") -> Route:
    """Take the route's dossier along the journey's timeline, from the stage after `after` (or
    the start) up to `through` (included)."""
    stages = [stage for stage, _when, _step in TIMELINE]
    first = stages.index(after) + 1 if after else 0
    for _stage, when, step in TIMELINE[first : stages.index(through) + 1]:
        with at(*when):
            step(route)
    return route
