from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Tỉnh / thành phố")
    COMMUNE = "commune", _("Xã / phường")
    CENTER = "center", _("Trung tâm Phục vụ hành chính công")
    AGENCY = "agency", _("Cơ quan")
    DEPARTMENT = "department", _("Phòng / bộ phận")
    COUNTER = "counter", _("Quầy tiếp nhận")


class Unit(models.Model):
    """A node of the organisation tree. The tree is data: provinces, communes, centers, agencies."""

    code = models.CharField(_("mã định danh"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    kind = models.CharField(_("loại"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of ancestor ids ("/1/4/9/") so subtree queries are one indexed LIKE.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="/")
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=40, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        # The path needs the row's own id, so it is known only after the first insert.
        path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if path != self.path:
            self.path = path
            Unit.objects.filter(pk=self.pk).update(path=path)


class Role(models.TextChoices):
    RECEPTION_OFFICER = "reception_officer", _("Công chức tiếp nhận và trả kết quả")
    CENTER_LEADER = "center_leader", _("Lãnh đạo Trung tâm")
    HANDLING_OFFICER = "handling_officer", _("Chuyên viên thụ lý")
    DEPARTMENT_HEAD = "department_head", _("Lãnh đạo phòng")
    SIGNING_AUTHORITY = "signing_authority", _("Lãnh đạo cơ quan")
    COORDINATING_OFFICER = "coordinating_officer", _("Cán bộ cơ quan phối hợp")
    PROCEDURE_CONTROLLER = "procedure_controller", _("Kiểm soát thủ tục hành chính")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


class Membership(models.Model):
    """An officer's role in a unit; visibility of dossiers follows the unit's subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=40, choices=Role.choices)
    title = models.CharField(_("chức danh"), max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role")
        ]
        verbose_name = _("phân công")
        verbose_name_plural = _("phân công")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit}"
