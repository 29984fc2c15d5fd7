"""The daily reconciliation lists every difference between our payments and the gateway's
statement of the day, of each kind."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from motcua.core.errors import Conflict
from motcua.dossiers.tests.helpers import receive
from motcua.payments.gateway_simulator import GatewaySimulator, Transaction
from motcua.payments.models import MismatchKind, Payment, PaymentStatus, ReconciliationReport
from motcua.payments.reconciliation import reconciliation_catch_up, reconciliation_run
from motcua.payments.services import payment_notify, payment_start
from motcua.payments.tests.conftest import BUSINESS_REGISTRATION, MERCHANT, local, online
from motcua.payments.tests.helpers import pay_at_gateway

pytestmark = pytest.mark.django_db
DAY = local(2027, 3, 10, 9, 0)


@pytest.fixture(autouse=True)
def _on_one_day() -> Any:
    with time_machine.travel(DAY, tick=True):
        yield


def new_dossier(demo: Any, citizen: Any) -> Any:
    return online(receive(demo.ward_officer, BUSINESS_REGISTRATION), citizen)


def paid(
    citizen: Any, dossier: Any, gateway: GatewaySimulator, key: str = "k", started: Any = None
) -> Payment:
    """Paid at the gateway, its IPN handed to us."""
    payment, url = started or payment_start(
        user=citizen, dossier=dossier, purpose="fee", idempotency_key=key
    )
    pay_at_gateway(url)
    assert payment_notify(gateway.held.pop())[0] == "00"
    payment.refresh_from_db()
    return payment


def kinds(report: ReconciliationReport) -> set[tuple[str, str]]:
    return {(m["kind"], m["txn_ref"]) for m in report.mismatches}


def test_a_day_where_everything_matches_has_no_mismatch(demo, citizen, gateway):
    first = paid(citizen, new_dossier(demo, citizen), gateway)
    report = reconciliation_run(day=DAY.date())
    assert report.mismatches == []
    assert (report.matched_count, report.our_count, report.gateway_count) == (1, 1, 1)
    assert report.our_total == report.gateway_total == first.amount == 100_000


def test_it_lists_every_kind_of_mismatch(demo, citizen, gateway):
    matching = paid(citizen, new_dossier(demo, citizen), gateway, "a")
    dossier = new_dossier(demo, citizen)
    # Two tabs: both started before either was paid.
    tabs = [
        payment_start(user=citizen, dossier=dossier, purpose="fee", idempotency_key=key)
        for key in ("b", "c")
    ]
    settled = paid(citizen, dossier, gateway, started=tabs[0])
    twice = paid(citizen, dossier, gateway, started=tabs[1])
    assert twice.status == PaymentStatus.TO_REFUND
    lost = paid(citizen, new_dossier(demo, citizen), gateway, "d")
    gateway.forget(lost.txn_ref)
    more = paid(citizen, new_dossier(demo, citizen), gateway, "e")
    gateway.ledger[more.txn_ref].amount = "20000000"
    # Paid at the gateway, but its IPN never came and nobody asked yet.
    waiting, url = payment_start(
        user=citizen, dossier=new_dossier(demo, citizen), purpose="fee", idempotency_key="f"
    )
    pay_at_gateway(url)
    # Money at the gateway under our merchant code that we know nothing of.
    gateway.record(
        Transaction(
            txn_ref="UNKNOWN1",
            amount="5000000",
            order_info="?",
            return_url="http://x",
            create_date=gateway.now(),
            expire_date=gateway.now(),
            status="00",
            response_code="00",
            transaction_no="1",
            pay_date=gateway.now(),
        )
    )

    report = reconciliation_run(day=DAY.date())

    assert kinds(report) == {
        (MismatchKind.PAID_TWICE, twice.txn_ref),
        (MismatchKind.MISSING_AT_GATEWAY, lost.txn_ref),
        (MismatchKind.AMOUNT_DIFFERS, more.txn_ref),
        (MismatchKind.STATUS_DIFFERS, waiting.txn_ref),
        (MismatchKind.MISSING_HERE, "UNKNOWN1"),
    }
    assert report.matched_count == 2  # the first payment, and the one that settled the fee
    assert {matching.txn_ref, settled.txn_ref}.isdisjoint({m["txn_ref"] for m in report.mismatches})
    [row] = [m for m in report.mismatches if m["kind"] == MismatchKind.AMOUNT_DIFFERS]
    assert (row["ours"]["amount"], row["gateway"]["amount"]) == (100_000, 200_000)
    assert row["dossier"] == more.dossier.code


def test_a_status_the_gateway_reports_failed_differs(demo, citizen, gateway):
    payment = paid(citizen, new_dossier(demo, citizen), gateway)
    gateway.ledger[payment.txn_ref].status = "02"
    report = reconciliation_run(day=DAY.date())
    assert kinds(report) == {(MismatchKind.STATUS_DIFFERS, payment.txn_ref)}


def test_a_rerun_replaces_the_report_of_the_day(demo, citizen, gateway):
    payment = paid(citizen, new_dossier(demo, citizen), gateway)
    gateway.forget(payment.txn_ref)
    assert len(reconciliation_run(day=DAY.date()).mismatches) == 1
    gateway.record(gateway_copy(payment, gateway))
    assert reconciliation_run(day=DAY.date()).mismatches == []
    assert ReconciliationReport.objects.count() == 1


def gateway_copy(payment: Payment, gateway: GatewaySimulator) -> Transaction:
    return Transaction(
        txn_ref=payment.txn_ref,
        amount=str(payment.amount * 100),
        order_info="",
        return_url="http://x",
        create_date=gateway.now(),
        expire_date=gateway.now(),
        status="00",
        response_code="00",
        transaction_no=payment.gateway_transaction_no,
        pay_date=gateway.now(),
    )


def test_a_statement_with_a_bad_signature_is_refused(demo, citizen, settings):
    with GatewaySimulator(tmn_code=MERCHANT, secret="not-ours", ipn_url="http://127.0.0.1:9/") as g:
        settings.MOTCUA_PAYMENT_GATEWAY_URL = g.url
        with pytest.raises(Conflict):
            reconciliation_run(day=DAY.date())
    assert not ReconciliationReport.objects.exists()


def test_the_command_reconciles_yesterday_and_fails_loudly_without_the_gateway(
    demo, citizen, gateway, settings, capsys
):
    call_command("payments_reconcile")
    assert ReconciliationReport.objects.get().day == local(2027, 3, 9, 12, 0).date()
    call_command("payments_reconcile", "--day", "2027-03-10")
    assert "0 mismatch(es)" in capsys.readouterr().out
    settings.MOTCUA_PAYMENT_GATEWAY_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError):
        call_command("payments_reconcile", "--day", "2027-03-08")


def test_the_sweep_reconciles_yesterday_once(demo, gateway):
    assert reconciliation_catch_up() is not None
    assert reconciliation_catch_up() is None
    assert ReconciliationReport.objects.count() == 1
