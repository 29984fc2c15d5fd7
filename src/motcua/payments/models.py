"""Online payment of a dossier's dues: attempts, what the gateway told us, refunds, and the daily
reconciliation with the gateway's statement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    # The procedure's fees and charges the center collects (catalog.FeeItem, collected_by center).
    FEE = "fee", _("Phí, lệ phí")
    # The tax office's payment notice (dossiers.PaymentNotice), the dossier's clock paused.
    OBLIGATION = "obligation", _("Nghĩa vụ tài chính")


class Provider(models.TextChoices):
    GATEWAY = "gateway", _("Cổng thanh toán trực tuyến")
    COUNTER = "counter", _("Tại quầy")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    FAILED = "failed", _("Không thành công")
    # Our decision, not the gateway's: nothing came before the timeout. A late signed success
    # still settles it (or, when something else settled the due meanwhile, is to be refunded).
    EXPIRED = "expired", _("Hết thời gian thanh toán")
    # Money the gateway took that settles nothing (see Problem): the officer refunds it.
    TO_REFUND = "to_refund", _("Đã thu, phải hoàn trả")


# The statuses a signed answer from the gateway may still change.
OPEN_STATUSES = frozenset({PaymentStatus.PENDING, PaymentStatus.EXPIRED})
# The statuses in which the gateway holds the citizen's money.
MONEY_RECEIVED = frozenset({PaymentStatus.PAID, PaymentStatus.TO_REFUND})


class Problem(models.TextChoices):
    """Why money received settles nothing."""

    PAID_TWICE = "paid_twice", _("Khoản này đã được thanh toán trước đó")
    AMOUNT_DIFFERS = "amount_differs", _("Số tiền cổng thanh toán báo khác số tiền phải nộp")
    DUE_CLOSED = "due_closed", _("Khoản này không còn phải nộp")


class Payment(models.Model):
    """One attempt to pay one due of a dossier; `txn_ref` is our reference at the gateway.

    A due (dossier + purpose) is settled by at most one payment, whatever races: the
    `payment_paid_once` constraint. Refunds are recorded against the payment and never
    unsettle the due.
    """

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="payments"
    )
    purpose = models.CharField(_("khoản thanh toán"), max_length=20, choices=Purpose.choices)
    # What is paid, as it stood when the attempt started: [{"kind", "name", "amount"}, ...].
    lines = models.JSONField(default=list)
    description = models.CharField(_("nội dung"), max_length=300)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.GATEWAY)
    status = models.CharField(
        _("trạng thái"),
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
    )
    problem = models.CharField(max_length=20, choices=Problem.choices, blank=True)
    txn_ref = models.CharField(_("mã giao dịch"), max_length=40, unique=True)
    gateway_transaction_no = models.CharField(
        _("mã giao dịch tại cổng thanh toán"), max_length=40, blank=True
    )
    bank_code = models.CharField(_("ngân hàng"), max_length=20, blank=True)
    # What the gateway says it took (the amount asked when it settles the due).
    received_amount = models.PositiveBigIntegerField(null=True, blank=True)
    refunded_amount = models.PositiveBigIntegerField(_("đã hoàn (đồng)"), default=0)
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)
    receipt_number = models.CharField(_("số biên lai"), max_length=60, blank=True)
    receipt_unit = models.ForeignKey(
        "agencies.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    # The signed payment URL, so that a repeated request goes to the same transaction.
    pay_url = models.TextField(blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Nothing is paid twice: of the payments of one due, one at most is the paid one.
            models.UniqueConstraint(
                fields=["dossier", "purpose"],
                condition=Q(status="paid"),
                name="payment_paid_once",
            ),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payment_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="payment_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount=0) | Q(refunded_amount__lte=F("received_amount")),
                name="payment_refund_within_received",
            ),
        ]
        indexes = [
            # The periodic re-check: pending payments, oldest first.
            models.Index(
                fields=["created_at"],
                name="payment_pending_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["dossier", "purpose"], name="payment_due_idx"),
            models.Index(fields=["paid_at"], name="payment_paid_at_idx"),
        ]
        verbose_name = _("thanh toán")
        verbose_name_plural = _("thanh toán")

    def __str__(self) -> str:
        return self.txn_ref

    @property
    def refundable_amount(self) -> int:
        if self.status not in MONEY_RECEIVED:
            return 0
        return (self.received_amount or 0) - self.refunded_amount


class CallbackSource(models.TextChoices):
    RETURN = "return", _("Trình duyệt quay về")
    IPN = "ipn", _("Thông báo từ cổng thanh toán (IPN)")
    QUERY = "query", _("Truy vấn cổng thanh toán")


class GatewayCallback(models.Model):
    """Everything the gateway sent us, signed or not, with what we made of it."""

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="callbacks"
    )
    source = models.CharField(max_length=10, choices=CallbackSource.choices)
    txn_ref = models.CharField(max_length=100, blank=True)
    params = models.JSONField(default=dict)
    signature_valid = models.BooleanField(default=False)
    outcome = models.CharField(max_length=30, blank=True)
    # The IPN's answer to the gateway (RspCode).
    answer = models.CharField(max_length=4, blank=True)
    remote_addr = models.CharField(max_length=45, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["txn_ref"], name="callback_txn_ref_idx")]

    def __str__(self) -> str:
        return f"{self.source} {self.txn_ref} {self.outcome}"


class Refund(models.Model):
    """Money given back, as recorded by an officer (the gateway's refund reference if any)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField(_("số tiền hoàn (đồng)"))
    reason = models.TextField(_("lý do"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    gateway_reference = models.CharField(_("mã hoàn tiền tại cổng"), max_length=60, blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.amount}"


class MismatchKind(models.TextChoices):
    MISSING_AT_GATEWAY = "missing_at_gateway", _("Có ở hệ thống, không có ở cổng thanh toán")
    MISSING_HERE = "missing_here", _("Có ở cổng thanh toán, không có ở hệ thống")
    AMOUNT_DIFFERS = "amount_differs", _("Số tiền khác nhau")
    STATUS_DIFFERS = "status_differs", _("Trạng thái khác nhau")
    PAID_TWICE = "paid_twice", _("Thu trùng (phải hoàn tiền)")


class ReconciliationReport(models.Model):
    """One day of our payments compared with the gateway's statement; a re-run replaces it."""

    day = models.DateField(_("ngày đối soát"), unique=True)
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    our_count = models.PositiveIntegerField(default=0)
    our_total = models.PositiveBigIntegerField(default=0)
    gateway_count = models.PositiveIntegerField(default=0)
    gateway_total = models.PositiveBigIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    # [{"kind", "txn_ref", "dossier", "ours": {...}|None, "gateway": {...}|None}, ...]
    mismatches = models.JSONField(default=list)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("đối soát thanh toán")
        verbose_name_plural = _("đối soát thanh toán")

    def __str__(self) -> str:
        return f"{self.day}: {len(self.mismatches)}"


class ReceiptCounter(models.Model):
    """The last receipt number of a unit in a year; locked while a number is taken."""

    unit = models.ForeignKey("agencies.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="receipt_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}: {self.last}"
