from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    # Permanently: refused by the gateway, or still failing after the last attempt.
    FAILED = "failed", _("Gửi lỗi")


class Message(models.Model):
    """An outbox row, written in the same transaction as the change that caused it.

    A task delivers each row once the transaction commits, and a periodic sweep retries the
    ones that failed; until then the officer still sees what the citizen is going to be told.
    """

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    topic = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=60)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a worker may next try: set at enqueue, pushed back by each failure and, while a
    # worker holds the message, by its claim. Empty once the message is sent or has failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The gateway's message id for an SMS, the Message-ID header for an email.
    provider_reference = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            # The retry sweep: status = pending and next_attempt_at <= now, in one index range.
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["target_type", "target_id"], name="message_target_idx"),
        ]
        verbose_name = _("tin nhắn")
        verbose_name_plural = _("hộp thư đi")

    def __str__(self) -> str:
        return f"{self.topic} → {self.recipient}"
