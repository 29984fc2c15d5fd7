from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import ApplicantKind, ResultChannel
from motcua.dossiers.services import ApplicantData, GuidanceItem, ReceivedComponent


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
