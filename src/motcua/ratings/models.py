"""Service ratings (đánh giá mức độ hài lòng) and the leadership's follow-up of a dissatisfied one.

A rating belongs to one dossier and holds only what the citizen said. Who received, handled and
decided the dossier, its procedure and its units are read from the dossier and its steps when a
report is made, so a report always agrees with the dossier's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import DossierState

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class Overall(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Rất hài lòng")
    SATISFIED = "satisfied", _("Hài lòng")
    DISSATISFIED = "dissatisfied", _("Không hài lòng")


class RatingChannel(models.TextChoices):
    PORTAL = "portal", _("Tài khoản trên Cổng dịch vụ công")
    RECEIPT_QR = "receipt_qr", _("Mã QR trên giấy tiếp nhận")


@dataclass(frozen=True)
class Criterion:
    """One indicator of the evaluation of procedure handling a citizen can judge (DOMAIN.md §6).

    The answers are worth 2, 1 and 0 points, the indicator's scale; no answer means the citizen
    did not judge it (not experienced yet, or not used)."""

    field: str
    question: _StrPromise
    answers: tuple[_StrPromise, _StrPromise, _StrPromise]
    no_answer: _StrPromise


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "time_taken",
        _("Thời gian giải quyết so với thời gian hẹn trả kết quả"),
        (_("Sớm hơn hẹn"), _("Đúng hẹn"), _("Trễ hẹn")),
        _("Chưa có kết quả, chưa đánh giá"),
    ),
    Criterion(
        "contacts",
        _("Số lần phải đi lại, liên hệ để hoàn thành thủ tục"),
        (_("Một lần"), _("Hai lần"), _("Ba lần trở lên")),
        _("Không đánh giá"),
    ),
    Criterion(
        "agencies_contacted",
        _("Số cơ quan, đơn vị phải liên hệ"),
        (_("Chỉ Trung tâm Phục vụ hành chính công"), _("Hai nơi"), _("Ba nơi trở lên")),
        _("Không đánh giá"),
    ),
    Criterion(
        "one_stop",
        _("Hồ sơ được tiếp nhận và trả kết quả tại Bộ phận Một cửa"),
        (_("Hoàn toàn tại Bộ phận Một cửa"), _("Phải đến thêm nơi khác"), _("Không")),
        _("Không đánh giá"),
    ),
    Criterion(
        "publicity",
        _("Thủ tục được công khai đầy đủ, dễ tìm hiểu"),
        (_("Đầy đủ, rõ ràng"), _("Có nhưng chưa đầy đủ"), _("Không công khai hoặc sai lệch")),
        _("Không đánh giá"),
    ),
    Criterion(
        "attitude",
        _("Thái độ của cán bộ, công chức"),
        (_("Lịch sự, tận tình"), _("Bình thường"), _("Chưa đúng mực")),
        _("Không đánh giá"),
    ),
    Criterion(
        "feedback_handling",
        _("Việc tiếp nhận, trả lời phản ánh, kiến nghị"),
        (
            _("Được trả lời kịp thời, thỏa đáng"),
            _("Được trả lời nhưng chậm hoặc chưa thỏa đáng"),
            _("Không được trả lời"),
        ),
        _("Tôi không có phản ánh, kiến nghị"),
    ),
    Criterion(
        "online_service",
        _("Chất lượng dịch vụ công trực tuyến"),
        (_("Tốt, dễ sử dụng"), _("Tạm được"), _("Khó sử dụng, hay gặp lỗi")),
        _("Tôi không dùng dịch vụ trực tuyến"),
    ),
)
CRITERION_FIELDS = tuple(criterion.field for criterion in CRITERIA)
MAX_POINTS = 2


def _points_field(criterion: Criterion) -> models.PositiveSmallIntegerField[int | None, int | None]:
    return models.PositiveSmallIntegerField(criterion.question, null=True, blank=True)


class Rating(models.Model):
    """The citizen's rating of the service for one dossier: the latest answer counts; earlier
    ones are in the audit log."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="rating"
    )
    overall = models.CharField(_("mức độ hài lòng"), max_length=20, choices=Overall.choices)
    time_taken = _points_field(CRITERIA[0])
    contacts = _points_field(CRITERIA[1])
    agencies_contacted = _points_field(CRITERIA[2])
    one_stop = _points_field(CRITERIA[3])
    publicity = _points_field(CRITERIA[4])
    attitude = _points_field(CRITERIA[5])
    feedback_handling = _points_field(CRITERIA[6])
    online_service = _points_field(CRITERIA[7])
    comment = models.TextField(_("ý kiến"), blank=True)
    channel = models.CharField(_("kênh đánh giá"), max_length=20, choices=RatingChannel.choices)
    rated_at = models.DateTimeField(_("thời điểm đánh giá"))
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the citizen had lived through when rating: a rating given at reception judges the
    # desk only. The dossier's state moves on, so it is kept here rather than derived.
    dossier_state = models.CharField(_("trạng thái hồ sơ khi đánh giá"), max_length=30)
    first_rated_at = models.DateTimeField(_("lần đánh giá đầu"))
    revisions = models.PositiveSmallIntegerField(_("số lần thay đổi"), default=0)

    class Meta:
        indexes = [models.Index(fields=["rated_at"], name="rating_rated_at_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall__in=Overall.values), name="rating_overall_known"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=RatingChannel.values), name="rating_channel_known"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lte": MAX_POINTS}),
                    name=f"rating_{name}_points",
                )
                for name in CRITERION_FIELDS
            ),
        ]
        verbose_name = _("đánh giá")
        verbose_name_plural = _("đánh giá")

    def __str__(self) -> str:
        return f"{self.dossier_id} — {self.overall}"

    @property
    def dossier_state_label(self) -> str:
        return str(DossierState(self.dossier_state).label)

    def answers(self) -> list[tuple[Criterion, str]]:
        """Each criterion with the citizen's answer in words ("" when not judged)."""
        return [(c, _answer_text(c, getattr(self, c.field))) for c in CRITERIA]


def _answer_text(criterion: Criterion, points: int | None) -> str:
    return "" if points is None else str(criterion.answers[MAX_POINTS - points])


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Chưa xử lý")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    CLOSED = "closed", _("Đã xử lý xong")


class FollowUp(models.Model):
    """The center leadership's handling of a dissatisfied rating (DOMAIN.md §6)."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="followup")
    status = models.CharField(
        _("tình trạng"), max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    opened_at = models.DateTimeField(_("thời điểm mở"))
    due_at = models.DateTimeField(_("hạn xử lý"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người xử lý"),
    )
    taken_at = models.DateTimeField(_("thời điểm nhận xử lý"), null=True, blank=True)
    notes = models.TextField(_("ghi chú xử lý"), blank=True)
    resolution = models.TextField(_("kết quả xử lý"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("thời điểm đóng"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="followup_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="followup_status_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=FollowUpStatus.CLOSED)
                    & Q(closed_at__isnull=False, closed_by__isnull=False)
                    & ~Q(resolution="")
                )
                | (~Q(status=FollowUpStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="followup_closed_has_resolution",
            ),
            models.CheckConstraint(
                condition=~Q(status=FollowUpStatus.IN_PROGRESS) | Q(assigned_to__isnull=False),
                name="followup_in_progress_assigned",
            ),
        ]
        verbose_name = _("theo dõi xử lý đánh giá")
        verbose_name_plural = _("theo dõi xử lý đánh giá")

    def __str__(self) -> str:
        return f"{self.rating_id} — {self.status}"

    @property
    def is_closed(self) -> bool:
        return self.status == FollowUpStatus.CLOSED

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_at < timezone.now()
