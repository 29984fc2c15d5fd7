"""The citizen's payments: what a dossier owes and the button to pay it online, the page the
gateway sends the browser back to, the gateway's notification (IPN), and the e-receipt."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core.errors import DomainError, NotFound
from motcua.core.proxy import client_address
from motcua.dossiers.citizen import citizen_dossier_get
from motcua.dossiers.models import Dossier
from motcua.payments.models import PaymentStatus
from motcua.payments.receipts import receipt_pdf
from motcua.payments.selectors import citizen_payment_get, citizen_payments, dues_for
from motcua.payments.services import (
    IPN_UNKNOWN_ERROR,
    payment_notify,
    payment_return,
    payment_start,
)
from motcua.portal.access import citizen_required

logger = logging.getLogger(__name__)


def _dues_page(
    request: HttpRequest, dossier: Dossier, *, error: Any = None, status: int = 200
) -> HttpResponse:
    context = {
        "dossier": dossier,
        "dues": dues_for(dossier),
        "payments": citizen_payments(user=request.user, dossier=dossier),
        # A fresh key per page: a double click or a resubmitted form reuses the transaction.
        "idempotency_key": uuid.uuid4().hex,
        "error": error,
    }
    return render(request, "portal/payments/dues.html", context, status=status)


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def payment(request: HttpRequest, code: str) -> HttpResponse:
    dossier = citizen_dossier_get(user=request.user, code=code)
    if request.method != "POST":
        return _dues_page(request, dossier)
    try:
        _started, gateway_url = payment_start(
            user=request.user,
            dossier=dossier,
            purpose=request.POST.get("purpose", ""),
            idempotency_key=request.POST.get("idempotency_key", ""),
            client_ip=client_address(request),
        )
    except DomainError as error:
        return _dues_page(request, dossier, error=error.message, status=error.status)
    return redirect(gateway_url)


@never_cache
@citizen_required
@require_GET
def payment_result(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the browser back: shows where the payment stands."""
    owned = citizen_payment_get(user=request.user, txn_ref=request.GET.get("vnp_TxnRef", ""))
    try:
        found = payment_return(request.GET, remote_addr=client_address(request))
    except DomainError as error:
        context = {"payment": owned, "dossier": owned.dossier, "error": error.message}
        return render(request, "portal/payments/result.html", context, status=error.status)
    context = {"payment": found, "dossier": owned.dossier}
    return render(request, "portal/payments/result.html", context)


@csrf_exempt
@require_GET
def ipn(request: HttpRequest) -> JsonResponse:
    """The gateway's server-to-server notification; the answer is the gateway's JSON."""
    try:
        code, message = payment_notify(request.GET, remote_addr=client_address(request))
    except Exception:
        # The protocol's answer to anything unforeseen is "99": the gateway tries again later.
        logger.exception("Payment IPN failed: %s", request.GET.get("vnp_TxnRef", ""))
        code, message = IPN_UNKNOWN_ERROR
    return JsonResponse({"RspCode": code, "Message": message})


@citizen_required
@require_GET
def receipt(request: HttpRequest, code: str, txn_ref: str) -> HttpResponse:
    found = citizen_payment_get(user=request.user, txn_ref=txn_ref, code=code)
    if found.status != PaymentStatus.PAID or not found.receipt_number:
        raise NotFound(_("Giao dịch %(ref)s chưa có biên lai.") % {"ref": txn_ref})
    response = HttpResponse(receipt_pdf(payment=found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{found.txn_ref}.pdf"'
    return response
