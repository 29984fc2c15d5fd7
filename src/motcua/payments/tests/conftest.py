"""Payment fixtures: citizens with online dossiers, and the gateway simulator over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model

from motcua.dossiers.models import Channel, Dossier
from motcua.dossiers.processing import PaymentLine, payment_notice_issue, step_assign, step_forward
from motcua.dossiers.tests.helpers import receive
from motcua.payments.gateway_simulator import GatewaySimulator

BUSINESS_REGISTRATION = "1.001612"  # fee 100.000 đồng collected by the ward's center
LAND_TRANSFER = "1.013831"  # the tax office's notice; the clock paused while it is unpaid
MERCHANT, SECRET = "MOTCUA01", "test-hash-secret"
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
VN = timedelta(hours=7)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - VN


def at(*args: int):  # type: ignore[no-untyped-def]
    return time_machine.travel(local(*args), tick=False)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def _payment_settings(settings: Any) -> None:
    settings.MOTCUA_PAYMENT_MERCHANT_CODE = MERCHANT
    settings.MOTCUA_PAYMENT_HASH_SECRET = SECRET
    settings.MOTCUA_PAYMENT_TIMEOUT_MINUTES = 15
    settings.SITE_URL = "http://testserver"
    # Nothing listens there: a test that needs the gateway starts the simulator.
    settings.MOTCUA_PAYMENT_GATEWAY_URL = f"http://127.0.0.1:{closed_port()}"
    settings.TASKS = IMMEDIATE


def make_citizen(username: str, id_number: str) -> Any:
    return get_user_model().objects.create_user(
        username=username,
        password="motcua2026",
        is_citizen=True,
        id_number=id_number,
        full_name=username,
    )


@pytest.fixture
def citizen(db: Any) -> Any:
    return make_citizen("nhung", "046190001234")


@pytest.fixture
def other_citizen(db: Any) -> Any:
    return make_citizen("khac", "046190009999")


def online(dossier: Dossier, user: Any) -> Dossier:
    """The dossier as if the citizen had filed it online (the portal's submission is another
    engineer's; the tests only need its result)."""
    Dossier.objects.filter(pk=dossier.pk).update(applicant_user=user, channel=Channel.ONLINE)
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def fee_dossier(demo: Any, citizen: Any) -> Dossier:
    """Business registration filed online by the citizen: 100.000 đồng of fees to pay."""
    return online(receive(demo.ward_officer, BUSINESS_REGISTRATION), citizen)


def awaiting_payment(demo: Any, user: Any) -> Dossier:
    """A land transfer received Mon 1 Mar 2027 09:00, examined, and on Wed 3 Mar 10:00 the
    tax office's notice of 2.500.000 đồng: the clock stops."""
    with at(2027, 3, 1, 9, 0):
        dossier = receive(demo.reception_officer, LAND_TRANSFER)
        step = dossier.steps.get(finished_at__isnull=True)
        step_assign(
            actor=demo.land_head, code=dossier.code, step_id=step.pk, assignee=demo.land_specialist
        )
    with at(2027, 3, 3, 10, 0):
        step_forward(actor=demo.land_specialist, code=dossier.code)
        payment_notice_issue(
            actor=demo.tax_officer,
            code=dossier.code,
            lines=[
                PaymentLine(kind="tax", name="Thuế thu nhập cá nhân", amount=2_000_000),
                PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=500_000),
            ],
        )
    return online(dossier, user)


@pytest.fixture
def obligation_dossier(demo: Any, citizen: Any) -> Dossier:
    return awaiting_payment(demo, citizen)


@pytest.fixture
def gateway(settings: Any) -> Iterator[GatewaySimulator]:
    """The simulator over real HTTP. Its IPNs are held: the tests hand them to the service
    (payment_notify) themselves, or the end-to-end tests let them reach the live server."""
    simulator = GatewaySimulator(
        tmn_code=MERCHANT,
        secret=SECRET,
        ipn_url=f"http://127.0.0.1:{closed_port()}/thanh-toan/ipn/",
        ipn_attempts=2,
        ipn_retry_delay=0.05,
    )
    simulator.hold_ipn = True
    with simulator:
        settings.MOTCUA_PAYMENT_GATEWAY_URL = simulator.url
        yield simulator
