from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Unit, UnitKind
from motcua.catalog.models import FeeKind
from motcua.dossiers.models import (
    OPEN_STATES,
    ApplicantKind,
    Dossier,
    DossierState,
    DossierStep,
    ResultChannel,
)
from motcua.dossiers.processing import (
    PaymentLine,
    SupplementItem,
    officers_for_assignment,
)
from motcua.dossiers.services import ApplicantData, GuidanceItem, ReceivedComponent
from motcua.dossiers.worklists import Tab


class ApplicantForm(forms.Form):
    applicant_kind = forms.ChoiceField(label=_("Người nộp là"), choices=ApplicantKind.choices)
    applicant_name = forms.CharField(label=_("Họ tên / tên tổ chức"), max_length=200)
    applicant_id_number = forms.CharField(
        label=_("Số định danh (CCCD) / mã số thuế"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)
    applicant_phone = forms.CharField(
        label=_("Điện thoại"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    applicant_email = forms.CharField(label=_("Thư điện tử"), max_length=254, required=False)
    result_channel = forms.ChoiceField(label=_("Nhận kết quả"), choices=ResultChannel.choices)
    note = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    legal_basis = forms.CharField(
        label=_("Căn cứ pháp lý (phiếu 02 / 03)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    refusal_reason = forms.CharField(
        label=_("Lý do từ chối (phiếu 03)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    other_items = forms.CharField(
        label=_("Nội dung cần bổ sung khác (mỗi dòng: tên giấy tờ: lý do)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def applicant(self) -> ApplicantData:
        return ApplicantData.from_fields(self.cleaned_data)


def received_components(
    *, post: Any, files: Any, requirements: list[Any]
) -> list[ReceivedComponent]:
    """The components ticked on the intake page (checkbox c_<id>, quantity q_<id>, scan f_<id>)."""
    received = []
    for requirement in requirements:
        if post.get(f"c_{requirement.pk}") != "on":
            continue
        raw_quantity = post.get(f"q_{requirement.pk}", "").strip()
        quantity = int(raw_quantity) if raw_quantity.isdigit() else None
        received.append(
            ReceivedComponent(
                requirement_id=requirement.pk,
                quantity=quantity,
                scan=files.get(f"f_{requirement.pk}"),
            )
        )
    return received


def guidance_items(*, post: Any, requirements: list[Any], other_items: str) -> list[GuidanceItem]:
    """Every unticked component plus the free lines, each with its reason: one notice for all."""
    items = [
        GuidanceItem(
            name=requirement.name,
            reason=post.get(f"r_{requirement.pk}", "").strip() or str(_("Chưa nộp giấy tờ này.")),
        )
        for requirement in requirements
        if post.get(f"c_{requirement.pk}") != "on"
    ]
    for line in other_items.splitlines():
        name, _sep, reason = line.partition(":")
        if name.strip():
            items.append(GuidanceItem(name=name.strip(), reason=reason.strip()))
    return items


# ---------------------------------------------------------------------------------------------
# Processing actions. Each form parses one action page; the service behind it does the checks.


class ActionForm(forms.Form):
    """The input of one processing action on `dossier`.

    `table_headers` and `table_rows()` let a form show repeated lines (supplement items, payment
    lines) as a table; the other fields are shown one under the other.
    """

    table_headers: tuple[Any, ...] = ()

    def __init__(self, *args: Any, dossier: Dossier, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dossier = dossier

    def table_rows(self) -> list[list[forms.BoundField]]:
        return []

    def _choose(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def plain_fields(self) -> list[forms.BoundField]:
        in_table = {field.name for row in self.table_rows() for field in row}
        return [field for field in self.visible_fields() if field.name not in in_table]


def _text(label: Any, *, required: bool = True, rows: int = 3, max_length: int = 2000) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ServiceChoiceField(forms.TypedChoiceField):
    """A select whose value the service judges: a step or an officer the list does not offer
    reaches the service, which refuses it with its own reason."""

    def valid_value(self, value: Any) -> bool:
        return True


class AssignForm(ActionForm):
    step = ServiceChoiceField(label=_("Bước cần phân công"), coerce=int)
    assignee = ServiceChoiceField(label=_("Giao cho"), coerce=int)

    def __init__(self, *args: Any, steps: list[DossierStep], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.officers = {u.pk: u for s in steps for u in officers_for_assignment(step=s)}
        self._choose("step", [(s.pk, f"{s.name} — {s.unit.name}") for s in steps])
        self._choose("assignee", [(u.pk, u.display_name()) for u in self.officers.values()])

    def assignee_user(self) -> Any:
        pk = self.cleaned_data["assignee"]
        return self.officers.get(pk) or get_user_model().objects.filter(pk=pk).first()


class StepForm(ActionForm):
    """Names the step being finished, so that a repeated submission is refused by the service
    instead of finishing the step that came after it."""

    step = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, step: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].initial = step


class ForwardForm(StepForm):
    note = _text(_("Ý kiến, kết quả xử lý (ghi vào phiếu kiểm soát)"), required=False)


class ConsultForm(ActionForm):
    unit = forms.ModelChoiceField(label=_("Cơ quan được lấy ý kiến"), queryset=Unit.objects.none())
    question = _text(_("Nội dung xin ý kiến"))
    budget = forms.DecimalField(
        label=_("Thời hạn trả lời (theo đơn vị thời hạn của thủ tục)"),
        initial=Decimal("1"),
        min_value=Decimal("0.25"),
        max_value=Decimal("60"),
        decimal_places=2,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        competent = self.dossier.competent_unit
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            kind__in=[UnitKind.AGENCY, UnitKind.COMMUNE]
        ).exclude(path__startswith=competent.path)


class ConsultationReplyForm(ActionForm):
    # Named "note" like the service's field, so its refusal lands on this field.
    note = _text(_("Ý kiến của cơ quan phối hợp"), rows=5)


SUPPLEMENT_LINES = 5


class SupplementProposeForm(ActionForm):
    """Everything missing, in one request: up to five lines of document and reason."""

    table_headers = (_("Giấy tờ, nội dung cần bổ sung"), _("Lý do"))
    legal_basis = _text(_("Căn cứ pháp lý"), required=False, rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(SUPPLEMENT_LINES):
            self.fields[f"item_name_{n}"] = forms.CharField(
                label=_("Nội dung %(n)s") % {"n": n + 1}, required=False, max_length=500
            )
            self.fields[f"item_reason_{n}"] = forms.CharField(
                label=_("Lý do %(n)s") % {"n": n + 1}, required=False, max_length=500
            )

    def table_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"item_name_{n}"], self[f"item_reason_{n}"]] for n in range(SUPPLEMENT_LINES)]

    def items(self) -> list[SupplementItem]:
        data = self.cleaned_data
        return [
            SupplementItem(name=data[f"item_name_{n}"], reason=data[f"item_reason_{n}"])
            for n in range(SUPPLEMENT_LINES)
            if data[f"item_name_{n}"].strip() or data[f"item_reason_{n}"].strip()
        ]


class SupplementDecideForm(ActionForm):
    decision = forms.ChoiceField(
        label=_("Quyết định"),
        choices=[
            ("approve", _("Duyệt: gửi phiếu yêu cầu bổ sung (mẫu 02) cho người nộp")),
            ("decline", _("Không duyệt")),
        ],
        widget=forms.RadioSelect,
    )
    note = _text(_("Ghi chú"), required=False, rows=2)


SCAN_TYPES = "application/pdf,image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; an empty input gives an empty list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": SCAN_TYPES}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class SupplementReceiveForm(ActionForm):
    note = _text(_("Ghi chú"), required=False, rows=2)
    scans = MultipleFileField(label=_("Bản số hóa hồ sơ bổ sung (PDF/JPEG/PNG)"), required=False)


class AmountField(forms.CharField):
    """An amount in đồng as people type it: 30.000.000, 30 000 000 or 30000000."""

    default_error_messages = {"invalid": _("Nhập số tiền bằng chữ số, ví dụ 30.000.000.")}

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        digits = "".join(text.replace(".", "").replace(",", "").split())
        if not digits:
            return 0
        if not digits.isdigit():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(digits)


PAYMENT_EXTRA_LINES = 2


class PaymentNoticeForm(ActionForm):
    """The tax office's lines of the catalogue, prefilled, plus free lines; amounts editable."""

    table_headers = (_("Loại"), _("Khoản thu"), _("Số tiền (đồng)"))

    def __init__(self, *args: Any, lines: list[PaymentLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = PaymentLine(kind=FeeKind.FEE, name="", amount=0)
        prefilled = [*lines, *[blank] * PAYMENT_EXTRA_LINES]
        self.count = len(prefilled)
        for n, line in enumerate(prefilled):
            self.fields[f"line_kind_{n}"] = forms.ChoiceField(
                label=_("Loại khoản %(n)s") % {"n": n + 1},
                choices=FeeKind.choices,
                initial=line.kind,
                required=False,
            )
            self.fields[f"line_name_{n}"] = forms.CharField(
                label=_("Khoản thu %(n)s") % {"n": n + 1},
                required=False,
                max_length=500,
                initial=line.name,
            )
            self.fields[f"line_amount_{n}"] = AmountField(
                label=_("Số tiền khoản %(n)s") % {"n": n + 1},
                required=False,
                initial=line.amount or "",
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )

    def table_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"line_kind_{n}"], self[f"line_name_{n}"], self[f"line_amount_{n}"]]
            for n in range(self.count)
        ]

    def lines(self) -> list[PaymentLine]:
        data = self.cleaned_data
        return [
            PaymentLine(
                kind=data[f"line_kind_{n}"],
                name=data[f"line_name_{n}"],
                amount=data[f"line_amount_{n}"],
            )
            for n in range(self.count)
            if data[f"line_name_{n}"].strip()
        ]


class PaymentRecordForm(ActionForm):
    receipt_number = forms.CharField(label=_("Số biên lai / chứng từ nộp tiền"), max_length=60)


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input, read as the wall clock in Vietnam whatever the server's zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        return parsed.replace(tzinfo=None).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


class ApologyForm(ActionForm):
    reason = _text(_("Lý do chậm trả kết quả"))
    new_due_at = LocalDateTimeField(label=_("Ngày, giờ hẹn trả kết quả mới"))


class RejectForm(ActionForm):
    reason = _text(_("Lý do hồ sơ không đủ điều kiện giải quyết"))
    legal_basis = _text(_("Căn cứ pháp lý"), rows=2)


class ReasonForm(ActionForm):
    reason = _text(_("Lý do"))


class ConfirmForm(ActionForm):
    """An action that needs no input, only the officer's confirmation."""


class ResolveForm(StepForm):
    result_number = forms.CharField(label=_("Số, ký hiệu văn bản kết quả"), max_length=80)
    summary = _text(_("Trích yếu kết quả"), required=False, rows=2)
    # Not required here: the service knows whether the procedure's result is a document.
    document = forms.FileField(
        label=_("Văn bản kết quả đã ký (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


class ReturnForm(ActionForm):
    channel = forms.ChoiceField(
        label=_("Hình thức trả kết quả"), choices=ResultChannel.choices, widget=forms.RadioSelect
    )
    recipient_name = forms.CharField(
        label=_("Họ tên người nhận (trả tại Trung tâm)"), required=False, max_length=200
    )
    recipient_id_number = forms.CharField(
        label=_("Số định danh người nhận (12 chữ số)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    tracking_number = forms.CharField(
        label=_("Số hiệu bưu gửi (trả qua bưu chính)"), required=False, max_length=40
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].initial = self.dossier.result_channel


# ---------------------------------------------------------------------------------------------
# Reading pages


class WorklistFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=[(t.value, t.value) for t in Tab], required=False)
    procedure = forms.CharField(label=_("Mã thủ tục"), required=False, max_length=40)
    state = forms.ChoiceField(
        label=_("Trạng thái hồ sơ"),
        required=False,
        choices=[("", _("Tất cả"))]
        + [(s.value, s.label) for s in DossierState if s in OPEN_STATES],
    )

    def value(self, name: str) -> str:
        return str(self.cleaned_data.get(name) or "") if self.is_valid() else ""


LOGBOOK_MAX_DAYS = 366


class LogbookForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Đơn vị"), queryset=Unit.objects.none())
    start = forms.DateField(
        label=_("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("Ngày kết thúc phải sau ngày bắt đầu."))
        if start and end and (end - start).days >= LOGBOOK_MAX_DAYS:
            raise forms.ValidationError(_("Mỗi lần xem sổ theo dõi tối đa một năm."))
        return data
