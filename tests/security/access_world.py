"""The objects the access-control matrix points its URLs at, reached through the real services
on the demo center (demo/data/organisation.yaml and the Huế catalogue).

Each value is named, so that a rule (`access_rules`) can say "the dossier `land`" or "the
payment `paid_txn`". Dossiers of the land office (received at Huế's center, decided by the land
registration office) and of the city police (also received at Huế's center) are used, so that
an officer of one agency meets the other agency's dossiers; "congdan"'s online dossiers are the
citizen's own, the counter dossiers belong to an applicant without an account.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from motcua.catalog.models import ProcedureVersion
from motcua.catalog.selectors import procedure_current_version, procedure_get
from motcua.core.testing import sample_pdf
from motcua.dossiers import online
from motcua.dossiers.models import Dossier
from motcua.dossiers.processing import (
    PaymentLine,
    SupplementItem,
    consultation_request,
    dossier_resolve,
    payment_notice_issue,
    step_forward,
    supplement_decide,
    supplement_propose,
    withdrawal_request,
)
from motcua.dossiers.services import (
    ApplicantData,
    GuidanceItem,
    ReceivedComponent,
    dossier_receive,
    reception_guidance_issue,
)
from motcua.lib.jsonform import form_fields
from motcua.payments import protocol
from motcua.payments.models import Payment, Purpose
from motcua.payments.services import payment_notify, payment_start
from motcua.ratings.models import FollowUp, Overall, RatingChannel
from motcua.ratings.services import rating_submit

# Land-use right transfer (8 working days): land office, then the tax office, then back.
LAND_TRANSFER = "1.013831"
# Permanent residence registration: the city police, full online service, a 20.000 đồng charge.
RESIDENCE = "1.004222"
TAX_AGENCY = "000.00.60.H57"
# An applicant at the counter, without an account on the portal.
WALK_IN = ApplicantData(
    name="Nguyễn Thị Hồng Nhung",
    id_number="046190001234",
    address="12 Lê Lợi, phường Thuận Hóa",
    phone="0912345678",
    email="nhung@example.vn",
)
# The citizen's upload, named so that a page showing it can be recognised.
UPLOAD_NAME = "giay-to-cua-congdan.pdf"
PDF = sample_pdf()


def person(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def version_of(national_code: str) -> ProcedureVersion:
    return procedure_current_version(procedure=procedure_get(national_code=national_code))


def pdf(name: str = UPLOAD_NAME) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def at_counter(national_code: str = LAND_TRANSFER) -> Dossier:
    version = version_of(national_code)
    dossier, _replayed = dossier_receive(
        actor=person("tiepnhan"),
        version=version,
        applicant=WALK_IN,
        components=[ReceivedComponent(requirement_id=c.pk) for c in version.components.all()],
    )
    return dossier


def _sample(field: Any) -> Any:
    """A value the declaration form accepts for `field`."""
    if field.choices:
        return field.choices[0][0]
    if field.kind in {"integer", "number"}:
        return str(int(field.minimum or 1))
    if field.kind == "checkbox":
        return True
    candidates = {"date": "2026-01-05", "email": "an.nguyen@example.vn"}.get(field.kind)
    for value in [candidates] if candidates else ["Nội dung kê khai", "046090012345", "0905111222"]:
        if not field.pattern or re.search(field.pattern, value):
            return value
    raise AssertionError(f"No sample value for the declaration field {field.name}")


def draft_filled(national_code: str) -> Any:
    """The citizen's draft with the declaration filled in and every mandatory file attached."""
    user = person("congdan")
    draft = online.draft_start(user=user, version=version_of(national_code))
    version = draft.procedure_version
    online.draft_save(
        draft=draft,
        applicant=draft.applicant | {"address": "5 Lê Lợi, phường Thuận Hóa"},
        form_data={f.name: _sample(f) for f in form_fields(version.form_schema)},
        result_channel=draft.result_channel,
    )
    for requirement in version.components.all():
        if requirement.is_mandatory:
            online.draft_attach(draft=draft, requirement_id=requirement.pk, uploaded=pdf())
    return draft


def submitted_online(national_code: str) -> Dossier:
    return online.draft_submit(draft=draft_filled(national_code)).dossier


def accepted_online(national_code: str) -> Dossier:
    dossier = submitted_online(national_code)
    return online.online_accept(actor=person("tiepnhan"), code=dossier.code)


def with_supplement_proposed(dossier: Dossier) -> Dossier:
    supplement_propose(
        actor=person("chuyenvien"),
        code=dossier.code,
        items=[SupplementItem(name="Bản đồ địa chính", reason="Bản đã nộp không rõ ranh giới.")],
    )
    return dossier


def at_the_tax_office(dossier: Dossier) -> Dossier:
    step_forward(actor=person("chuyenvien"), code=dossier.code, note="Hồ sơ hợp lệ.")
    return dossier


def taxed(dossier: Dossier) -> Dossier:
    payment_notice_issue(
        actor=person("canbothue"),
        code=dossier.code,
        lines=[PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=500_000)],
    )
    return dossier


def at_the_last_step(dossier: Dossier) -> Dossier:
    from motcua.dossiers.processing import payment_record

    taxed(at_the_tax_office(dossier))
    payment_record(actor=person("tiepnhan"), code=dossier.code, receipt_number="BL-0001")
    step_forward(actor=person("chuyenvien"), code=dossier.code)
    step_forward(actor=person("lanhdao"), code=dossier.code)
    return dossier


def residence_resolved(*, pay_fee: bool) -> tuple[Dossier, Payment | None]:
    """The citizen's residence registration, received a month ago (its appointment long past)
    and decided by the police now, its result signed; the charge paid online if asked."""
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=True):
        dossier = accepted_online(RESIDENCE)
        step_forward(actor=person("congan"), code=dossier.code)
        step_forward(actor=person("truongcongan"), code=dossier.code)
    paid = fee_paid_online(dossier) if pay_fee else None
    dossier_resolve(
        actor=person("congan"),
        code=dossier.code,
        result_number="123/GXN-CA",
        document=pdf("ket-qua.pdf"),
    )
    return dossier, paid


def gateway_notice(payment: Payment) -> dict[str, str]:
    """The gateway's signed notification that `payment` succeeded (the IPN and the return)."""
    from django.conf import settings

    values = {
        "vnp_Amount": protocol.amount_field(payment.amount),
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": f"Thanh toan ho so {payment.dossier.code}",
        "vnp_PayDate": protocol.gateway_time(payment.created_at),
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": settings.MOTCUA_PAYMENT_MERCHANT_CODE,
        "vnp_TransactionNo": "14999999",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": payment.txn_ref,
    }
    return protocol.signed(values, str(settings.MOTCUA_PAYMENT_HASH_SECRET))


def fee_paid_online(dossier: Dossier) -> Payment:
    payment, _url = payment_start(
        user=person("congdan"),
        dossier=dossier,
        purpose=Purpose.FEE,
        idempotency_key=f"phi-{dossier.code}",
        client_ip="127.0.0.1",
    )
    code, _message = payment_notify(gateway_notice(payment), remote_addr="127.0.0.1")
    assert code == "00", code
    payment.refresh_from_db()
    return payment


def build() -> dict[str, Any]:
    """Every object the rules name, by name."""
    values: dict[str, Any] = {}
    values.update(_counter_dossiers())
    values.update(_online_dossiers())
    values.update(_ended_dossiers())
    values.update(_catalogue_and_notices())
    values.update(_references(values))
    return values


def _counter_dossiers() -> dict[str, Any]:
    land = at_counter()
    consulting = at_counter()
    consultation_request(
        actor=person("chuyenvien"),
        code=consulting.code,
        unit=_unit(TAX_AGENCY),
        question="Xin ý kiến về giá đất tính thuế.",
        budget=Decimal("1"),
    )
    withdrawing = at_counter()
    withdrawal_request(
        actor=person("tiepnhan"), code=withdrawing.code, reason="Người nộp đề nghị rút."
    )
    return {
        "land": land.code,
        "land_lookup_secret": land.lookup_secret,
        "consulting": consulting.code,
        "proposed": with_supplement_proposed(at_counter()).code,
        "financial": at_the_tax_office(at_counter()).code,
        "withdrawing": withdrawing.code,
        "last": at_the_last_step(at_counter()).code,
    }


def _online_dossiers() -> dict[str, Any]:
    submitted = submitted_online(RESIDENCE)
    completion = submitted_online(RESIDENCE)
    online.online_completion_request(
        actor=person("tiepnhan"),
        code=completion.code,
        items=[GuidanceItem(name="Tờ khai", reason="Thiếu chữ ký của chủ hộ.")],
    )
    supplementing = with_supplement_proposed(accepted_online(LAND_TRANSFER))
    request = supplement_decide(actor=person("truongphong"), code=supplementing.code, approve=True)
    component = submitted.components.exclude(document=None).first()
    assert component is not None and request.notice is not None
    return {
        "submitted": submitted.code,
        "submitted_component": component.pk,
        "citizen_document": component.document_id,
        "completion": completion.code,
        "supplementing": supplementing.code,
        "supplement_notice": request.notice.number,
        "awaiting": taxed(at_the_tax_office(accepted_online(LAND_TRANSFER))).code,
        "draft": online.draft_start(user=person("congdan"), version=version_of(RESIDENCE)).pk,
    }


def _ended_dossiers() -> dict[str, Any]:
    resolved, _none = residence_resolved(pay_fee=False)
    returned, paid = residence_resolved(pay_fee=True)
    assert paid is not None
    online.online_result_collect(user=person("congdan"), code=returned.code)
    rating_submit(
        dossier=returned,
        overall=Overall.DISSATISFIED,
        criteria={},
        comment="Chờ lâu.",
        channel=RatingChannel.PORTAL,
        user=person("congdan"),
    )
    followup = FollowUp.objects.get(rating__dossier=returned)
    return {
        "resolved": resolved.code,
        "returned": returned.code,
        "followup": followup.pk,
        "paid_txn": paid.txn_ref,
        "paid_return_query": urlencode(gateway_notice(paid)),
    }


def _catalogue_and_notices() -> dict[str, Any]:
    version = version_of(LAND_TRANSFER)
    notice = reception_guidance_issue(
        actor=person("tiepnhan"),
        version=version,
        applicant=WALK_IN,
        items=[GuidanceItem(name="Hợp đồng chuyển nhượng", reason="Chưa được công chứng.")],
    )
    return {
        "land_transfer": LAND_TRANSFER,
        "land_version": version.pk,
        "guidance_notice": notice.number,
    }


def _references(values: dict[str, Any]) -> dict[str, Any]:
    """Primary keys, step ids and dates the bodies and the admin's URLs need."""
    from zoneinfo import ZoneInfo

    from motcua.evaluation.models import MANUAL_INDICATORS

    land = Dossier.objects.get(code=values["land"])
    step = land.steps.get(finished_at__isnull=True)
    # An apology moves the appointment later: two days after the current one, on the form's
    # wall clock and in ISO for the API.
    assert land.due_at is not None
    new_due = (land.due_at + timedelta(days=2)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    components = version_of(LAND_TRANSFER).components.all()
    return {
        "land_pk": land.pk,
        "land_step": step.pk,
        "land_new_due_local": new_due.strftime("%Y-%m-%dT%H:%M"),
        "land_new_due_iso": new_due.isoformat(),
        "land_components": [c.pk for c in components],
        "land_mandatory_components": [c.pk for c in components if c.is_mandatory],
        "land_agency_pk": land.competent_unit_id,
        "tax_agency_pk": _unit(TAX_AGENCY).pk,
        "specialist_pk": person("chuyenvien").pk,
        "citizen_pk": person("congdan").pk,
        "manual_indicator": str(MANUAL_INDICATORS[0]),
        "app_catalog": "catalog",
        "hue_center_pk": land.receiving_unit_id,
        "today": timezone.localdate().isoformat(),
        "yesterday": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "upload": pdf,
    }


def _unit(code: str) -> Any:
    from motcua.agencies.models import Unit

    return Unit.objects.get(code=code)
