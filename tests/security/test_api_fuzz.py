"""Property-based fuzzing of the whole REST API from the OpenAPI schema it serves (schemathesis).

schemathesis reads `/api/v1/schema/` from the real WSGI application and, for every operation,
generates requests — the schema's examples, the coverage phase's boundary and invalid values,
then random valid and invalid data — and sends them in-process. Each operation is called as a
persona whose role it is for; a valid case of an action on a dossier goes to a dossier brought
(through the API) to the state the action works on, and a valid intake names a real procedure
and its components, so that bodies reach the serializers and the services rather than a 404.
Then random walks follow the links the schema implies (a listed dossier's code, then an action
on it) as the desk's system account.

Every answer must hold: no 5xx; a status code, content type, headers and body the schema
documents (problem details for the errors); data the schema calls invalid refused with a 4xx; a
missing required header refused. The run is bounded and reproducible: a fixed seed,
derandomized generation, no example database, MAX_EXAMPLES random cases per operation after
the deterministic ones. What ran (per operation: cases, modes, phases, statuses, and the codes
valid data was refused with) is appended to `<artifacts>/api-fuzz.jsonl` and printed.
Reproduce one operation's run with MOTCUA_FUZZ_ONLY=<operation id>[,<operation id>…]; go
deeper with MOTCUA_FUZZ_EXAMPLES (random cases per operation) and MOTCUA_FUZZ_SEED.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import time_machine
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from motcua.api.tests.conftest import Personas
from motcua.api.tests.route import LAND_TRANSFER, Route, drive, local
from motcua.catalog.models import ProcedureComponent
from motcua.demo.management.commands.load_demo import DEMO_API_TOKEN
from motcua.dossiers import online
from motcua.dossiers.tests.test_online import citizen, filled_draft

# Minutes, not seconds: run by .ci/run on PostgreSQL in its serial step, not by `make test`.
pytestmark = pytest.mark.production

SCHEMA_PATH = "/api/v1/schema/?format=json"
# CI's run is fixed; a deeper or another run (say, nightly) sets these two.
SEED = int(os.environ.get("MOTCUA_FUZZ_SEED", "20260421"))
# Random cases per operation (valid and invalid mixed), after the schema's examples and the
# coverage phase's deterministic cases (boundaries, each field missing or of a wrong type…).
MAX_EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
]
# The tax office of Huế, consulted on a land transfer.
TAX_OFFICE = "000.00.60.H57"

# Who calls each operation: a persona whose role the operation is for (None: anyone).
CALLERS = {
    "procedure_list": None,
    "procedure_retrieve": None,
    "dossier_lookup": None,
    "due_date_compute": None,
    "dossier_receive": "system",
    "dossier_list": "system",
    "dossier_retrieve": "tiepnhan",
    "dossier_control_slip_pdf": "tiepnhan",
    "worklist": "chuyenvien",
    "dossier_assign": "truongphong",
    "dossier_forward": "chuyenvien",
    "dossier_consultation_request": "chuyenvien",
    "dossier_consultation_reply": "canbothue",
    "dossier_supplement_propose": "chuyenvien",
    "dossier_supplement_decide": "truongphong",
    "dossier_supplement_receive": "tiepnhan",
    "dossier_payment_lines_proposed": "canbothue",
    "dossier_payment_notice_issue": "canbothue",
    "dossier_payment_record": "tiepnhan",
    "dossier_apology_issue": "lanhdao",
    "dossier_reject": "truongphong",
    "dossier_withdrawal_request": "tiepnhan",
    "dossier_withdrawal_confirm": "truongphong",
    "dossier_withdrawal_decline": "truongphong",
    "dossier_resolve": "chuyenvien",
    "dossier_return": "tiepnhan",
    "dossier_mark_uncollected": "tiepnhan",
    "dossier_online_accept": "tiepnhanphuong",
    "dossier_online_completion": "tiepnhanphuong",
    "dossier_online_refuse": "tiepnhanphuong",
    "report_operational": "giamdoc",
    "report_dossier_list": "giamdoc",
    "report_dashboard": "giamdoc",
    "report_index_766": "giamdoc",
    "alert_list": "giamdoc",
}

# The stage of the land transfer's journey (route.TIMELINE) each dossier action acts on.
STAGES = {
    "dossier_retrieve": "resolved",
    "dossier_control_slip_pdf": "resolved",
    "dossier_assign": "received",
    "dossier_forward": "assigned",
    "dossier_consultation_request": "assigned",
    "dossier_consultation_reply": "assigned",
    "dossier_supplement_propose": "assigned",
    "dossier_supplement_decide": "assigned",
    "dossier_supplement_receive": "assigned",
    "dossier_payment_lines_proposed": "examined",
    "dossier_payment_notice_issue": "examined",
    "dossier_payment_record": "payment_requested",
    "dossier_apology_issue": "assigned",
    "dossier_reject": "assigned",
    "dossier_withdrawal_request": "received",
    "dossier_withdrawal_confirm": "received",
    "dossier_withdrawal_decline": "received",
    "dossier_resolve": "signed",
    "dossier_return": "resolved",
    "dossier_mark_uncollected": "resolved",
}
# What happens to the dossier after its stage, before it is fuzzed: (persona, action, body).
AFTERWARDS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "dossier_consultation_reply": [
        (
            "specialist",
            "consultations",
            {"unit": TAX_OFFICE, "question": "Nghĩa vụ tài chính?", "budget": "2"},
        )
    ],
    "dossier_supplement_decide": [
        ("specialist", "supplement-requests", {"items": [{"name": "Sổ đỏ", "reason": "Mờ"}]})
    ],
    "dossier_supplement_receive": [
        ("specialist", "supplement-requests", {"items": [{"name": "Sổ đỏ", "reason": "Mờ"}]}),
        ("head", "supplement-requests/decision", {"approve": True}),
    ],
    "dossier_withdrawal_confirm": [("desk", "withdrawal-request", {"reason": "Không cần nữa"})],
    "dossier_withdrawal_decline": [("desk", "withdrawal-request", {"reason": "Không cần nữa"})],
}
ONLINE = {"dossier_online_accept", "dossier_online_completion", "dossier_online_refuse"}
# The test's "now": the day after the journey's result, a working day in Huế.
NOW = (2027, 2, 17, 10, 0)


@dataclass
class Tally:
    """What the fuzzer sent to one operation and what came back."""

    operation: str
    modes: Counter[str] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    # The problem codes valid data was refused with: how far the valid cases went.
    refusals: Counter[str] = field(default_factory=Counter)

    def record(self, case: Any, response: Any) -> None:
        self.statuses[response.status_code] += 1
        if case.meta is None:
            return
        mode = str(case.meta.generation.mode.value)
        self.modes[mode] += 1
        self.phases[str(case.meta.phase.name.value)] += 1
        content_type = response.headers.get("content-type", [""])[0]
        if mode == "positive" and content_type.startswith("application/problem+json"):
            problem = response.json()
            where = problem.get("field") or problem.get("header")
            self.refusals[":".join(filter(None, [problem.get("code"), where]))] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "cases": sum(self.statuses.values()),
            "modes": dict(self.modes),
            "phases": dict(self.phases),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "refusals": dict(self.refusals.most_common()),
        }


@dataclass
class Target:
    """What a case of one operation is aimed at: its caller's headers, the dossier to act on,
    and for an intake the procedure whose components it receives."""

    headers: dict[str, str]
    code: str | None = None
    components: list[int] | None = None


class World:
    """The demo center, and per operation its caller and, for a dossier action, its dossier."""

    def __init__(self, demo: Any) -> None:
        self.demo = demo
        self.personas = Personas(demo=demo)
        self.targets: dict[str, Target] = {}
        self.tally: Tally | None = None

    def target(self, operation: str) -> Target:
        """Made on the first case of the operation, kept for the others."""
        if operation not in self.targets:
            caller = CALLERS[operation]
            target = Target(
                headers={"Authorization": f"Token {self._token(caller)}"} if caller else {}
            )
            if operation in STAGES:
                target.code = self._land_transfer(operation)
            elif operation in ONLINE:
                target.code = self._online_dossier()
            elif operation == "dossier_receive":
                target.components = list(
                    ProcedureComponent.objects.filter(
                        version__procedure__national_code=LAND_TRANSFER
                    ).values_list("pk", flat=True)
                )
            self.targets[operation] = target
            self.tally = Tally(operation=operation)
        return self.targets[operation]

    def _token(self, username: str) -> str:
        if username == "system":
            return DEMO_API_TOKEN
        token, _ = Token.objects.get_or_create(user=self.demo.person(username))
        return str(token.key)

    def _land_transfer(self, operation: str) -> str:
        route = drive(Route(self.personas), through=STAGES[operation])
        clients = {"specialist": route.specialist, "head": route.head, "desk": route.desk}
        with time_machine.travel(local(2027, 2, 16, 16, 0), tick=False):
            for who, action, body in AFTERWARDS.get(operation, []):
                response = route.post(clients[who], action, body)
                assert response.status_code in (200, 201), response.json()
        return route.code

    def _online_dossier(self) -> str:
        owner = citizen(f"fuzz{uuid.uuid4().hex[:8]}", id_number="046090001111")
        return str(online.draft_submit(draft=filled_draft(owner)).dossier.code)


def _artifacts() -> Path:
    path = Path(os.environ.get("MOTCUA_ARTIFACTS_DIR", django_settings.VAR_DIR / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path / "api-fuzz.jsonl"


@pytest.fixture(scope="module", autouse=True)
def _fresh_report() -> None:
    _artifacts().write_text("")


@contextmanager
def _connection_kept() -> Iterator[None]:
    """As Django's test client does, keep the connection open at the end of a request: closing
    it would end the test's transaction, which holds the demo."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(demo: Any) -> Iterator[World]:
    """Every case of one operation runs in one world, at NOW, inside the test's transaction."""
    with time_machine.travel(local(*NOW), tick=True):
        world = World(demo)
        yield world
    assert world.tally is not None, "no case was generated"
    report = world.tally.as_dict()
    with _artifacts().open("a") as log:
        log.write(json.dumps(report) + "\n")
    print(f"\n{report}")
    # A schema the generator can no longer draw valid or invalid data from is a finding too.
    assert report["modes"].get("positive") and report["modes"].get("negative"), report


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "cache": {"enabled": False},
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # Each case is sent with its caller's token (World.target), never a generated one.
            "with-security-parameters": False,
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
        },
    }
)
schema: schemathesis.BaseSchema = schemathesis.openapi.from_wsgi(
    SCHEMA_PATH, WSGIHandler(), config=CONFIG
)
# To reproduce one finding: MOTCUA_FUZZ_ONLY=dossier_receive,worklist (operation ids).
if only := os.environ.get("MOTCUA_FUZZ_ONLY"):
    schema = schema.include(operation_id=only.split(","))


def _aim(case: Any, target: Target) -> None:
    """Point a valid case at the operation's target, so that it goes past the lookups (a
    dossier, a procedure) and reaches the serializer and the service; invalid data is sent as
    generated."""
    if case.meta is None or case.meta.is_negative_at(ParameterLocation.PATH):
        return
    # A reading's random cases keep their random code: they would all read one dossier.
    if target.code and not (case.method == "GET" and case.meta.phase.name.value == "fuzzing"):
        case.path_parameters["code"] = target.code
    if target.components is not None and not case.meta.is_negative_at(ParameterLocation.BODY):
        _aim_intake(case.body, target.components)


def _aim_intake(body: Any, components: list[int]) -> None:
    """A complete land transfer from an applicant with a valid identity number, received now:
    the rest of the body (names, address, email, note, channel) as generated."""
    if not isinstance(body, dict) or not isinstance(body.get("applicant"), dict):
        return
    body["procedure"] = LAND_TRANSFER
    body["components"] = [{"id": pk} for pk in components]
    body.pop("received_at", None)
    applicant = body["applicant"]
    organisation = applicant.get("kind") == "organisation"
    applicant["id_number"] = "3300101234" if organisation else "046190001234"
    if not str(applicant.get("phone", "")).isdigit():
        applicant["phone"] = ""


@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case: Any, world: World) -> None:
    target = world.target(case.operation.definition.raw["operationId"])
    _aim(case, target)
    with _connection_kept():
        response = case.call(headers=target.headers)
    assert world.tally is not None
    world.tally.record(case, response)
    case.validate_response(response, checks=CHECKS, headers=target.headers)


# The walks through the links the schema's responses imply (a listed dossier's code, then an
# action on it): how many, and how long each.
WALKS = 30
STEPS_PER_WALK = 6


def test_walks_from_a_list_to_the_actions_on_its_dossiers_hold_too(world: World) -> None:
    # The desk's dossiers at three stages of the journey, for the walks to find in the list.
    for stage in ("received", "payment_requested", "resolved"):
        drive(Route(world.personas), through=stage)
    headers = {"Authorization": f"Token {DEMO_API_TOKEN}"}
    world.tally = Tally(operation="stateful walks")

    class Walks(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def call(self, case: Any, **kwargs: Any) -> Any:
            with _connection_kept():
                response = case.call(**kwargs)
            assert world.tally is not None
            world.tally.record(case, response)
            return response

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Walks.run(
        settings=settings(
            max_examples=WALKS,
            stateful_step_count=STEPS_PER_WALK,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
