"""The action pages of a dossier in processing, and which of them the viewer is offered.

Every action page is the same recipe (`ActionSpec` + `action_page`): parse a form, call one
service, redirect to the dossier with a message; a refusal is shown on the form with the
service's message and status. `available_actions` only decides which buttons to show; the
services check everything again on the locked row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.agencies.models import Role
from motcua.backoffice import forms as action_forms
from motcua.backoffice.access import officer_required
from motcua.catalog.models import StepKind
from motcua.core.errors import DomainError, NotFound, PermissionDenied
from motcua.dossiers import online, processing
from motcua.dossiers.models import (
    OPEN_STATES,
    Dossier,
    DossierNoticeKind,
    DossierState,
    DossierStep,
    SupplementStatus,
)
from motcua.dossiers.selectors import dossier_get
from motcua.dossiers.services import GuidanceItem

# ---------------------------------------------------------------------------------------------
# Who may do what (for showing buttons; the services decide)


def _open_steps(dossier: Dossier) -> list[DossierStep]:
    # From the dossier's prefetched route on its page (dossier_trace_get), one query elsewhere.
    return [step for step in dossier.steps.all() if step.finished_at is None]


_LEADERS = {Role.DEPARTMENT_HEAD, Role.SIGNING_AUTHORITY}


def _leads(viewer: Any, step: DossierStep) -> bool:
    return step.kind != StepKind.RETURN and bool(_LEADERS & processing.roles_in(viewer, step.unit))


def assignable_steps(viewer: Any, dossier: Dossier) -> list[DossierStep]:
    """Open steps of the units the viewer leads (department head or agency head)."""
    return [step for step in _open_steps(dossier) if _leads(viewer, step)]


def _work_step(viewer: Any, dossier: Dossier) -> dict[str, Any]:
    """The handling or signing step the viewer is finishing, for the forward and resolve forms."""
    kinds = {StepKind.HANDLING, StepKind.SIGNING}
    held = [
        s
        for s in _open_steps(dossier)
        if s.kind in kinds and processing.may_act_on(viewer, s) is not None
    ]
    return {"step": held[0].pk if held else None}


_APOLOGY_STATES = {
    DossierState.IN_PROCESSING,
    DossierState.SUPPLEMENT_REQUESTED,
    DossierState.AWAITING_PAYMENT,
}
_WITHDRAWABLE = _APOLOGY_STATES | {DossierState.RECEIVED}
_NOT_YET_ACCEPTED = {DossierState.SUBMITTED_ONLINE, DossierState.COMPLETION_REQUESTED}
_AGENCY_OFFICERS = {Role.HANDLING_OFFICER, Role.DEPARTMENT_HEAD, Role.SIGNING_AUTHORITY}


def available_actions(viewer: Any, dossier: Dossier) -> list[str]:
    """The names of the actions the viewer can take now, from the state and the open step the
    viewer holds. Only decides which buttons to show: the services check again."""
    state, steps = dossier.state, _open_steps(dossier)
    acting = {step.kind: step for step in steps if processing.may_act_on(viewer, step) is not None}
    work = acting.get(StepKind.HANDLING) or acting.get(StepKind.SIGNING)
    at_desk = Role.RECEPTION_OFFICER in processing.roles_in(viewer, dossier.receiving_unit)
    agency = processing.roles_in(viewer, dossier.competent_unit)
    working = state == DossierState.IN_PROCESSING
    last = working and work is not None and processing.last_processing_stage(dossier) == work.stage
    supplements = {supplement.status for supplement in dossier.supplements.all()}
    allowed = {
        "online_accept": state == DossierState.SUBMITTED_ONLINE and at_desk,
        "online_completion": state == DossierState.SUBMITTED_ONLINE and at_desk,
        "online_refuse": state in _NOT_YET_ACCEPTED and at_desk,
        "assign": state in OPEN_STATES and any(_leads(viewer, step) for step in steps),
        "forward": working and work is not None and not last,
        "resolve": last,
        "consult": working and StepKind.HANDLING in acting,
        "consultation_reply": state in OPEN_STATES and StepKind.CONSULTATION in acting,
        "supplement_propose": working
        and StepKind.HANDLING in acting
        and not supplements - {SupplementStatus.DECLINED},
        "supplement_decide": working
        and SupplementStatus.PROPOSED in supplements
        and Role.DEPARTMENT_HEAD in agency,
        "supplement_receive": state == DossierState.SUPPLEMENT_REQUESTED and at_desk,
        "payment_notice": working and StepKind.FINANCIAL in acting,
        "payment_record": state == DossierState.AWAITING_PAYMENT and at_desk,
        "apology": state in _APOLOGY_STATES
        and Role.SIGNING_AUTHORITY in agency
        and not any(n.kind == DossierNoticeKind.APOLOGY for n in dossier.notices.all()),
        "reject": working and bool(agency & _LEADERS),
        "withdrawal_request": state in _WITHDRAWABLE and at_desk,
        "withdrawal_confirm": state == DossierState.WITHDRAWAL_REQUESTED
        and bool(agency & _AGENCY_OFFICERS),
        "withdrawal_decline": state == DossierState.WITHDRAWAL_REQUESTED
        and bool(agency & _AGENCY_OFFICERS),
        "return": state in {DossierState.RESOLVED, DossierState.UNCOLLECTED} and at_desk,
        "mark_uncollected": state == DossierState.RESOLVED and at_desk,
    }
    return [name for name, ok in allowed.items() if ok]


# ---------------------------------------------------------------------------------------------
# The actions: what each one parses and which service it calls


Perform = Callable[[Any, Dossier, Any], str]


def _no_kwargs(viewer: Any, dossier: Dossier) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class ActionSpec:
    """One action: its URL part, its button, its form, and `perform`, which calls the service
    with the valid form and returns the success message."""

    name: str
    slug: str
    label: str | Promise
    form: type[action_forms.ActionForm]
    perform: Perform
    form_kwargs: Callable[[Any, Dossier], dict[str, Any]] = _no_kwargs
    explanation: str | Promise = ""
    # Actions that end or stop the work are shown as secondary buttons, apart from the next step.
    secondary: bool = False

    @property
    def url_name(self) -> str:
        return f"dossier_{self.name}"


def _online_accept(actor: Any, dossier: Dossier, form: Any) -> str:
    accepted = online.online_accept(actor=actor, code=dossier.code)
    return _("Đã tiếp nhận hồ sơ %(code)s; hẹn trả kết quả %(due)s.") % {
        "code": accepted.code,
        "due": formats.date_format(timezone.localtime(accepted.due_at), "H:i d/m/Y"),
    }


def _online_completion(actor: Any, dossier: Dossier, form: Any) -> str:
    notice = online.online_completion_request(
        actor=actor,
        code=dossier.code,
        items=[GuidanceItem(name=i.name, reason=i.reason) for i in form.items()],
        legal_basis=form.cleaned_data["legal_basis"],
    )
    return _("Đã gửi yêu cầu hoàn thiện hồ sơ %(n)s (mẫu 02) cho người nộp.") % {"n": notice.number}


def _online_refuse(actor: Any, dossier: Dossier, form: Any) -> str:
    notice = online.online_refuse(
        actor=actor,
        code=dossier.code,
        reason=form.cleaned_data["reason"],
        legal_basis=form.cleaned_data["legal_basis"],
    )
    return _("Đã gửi phiếu từ chối tiếp nhận %(n)s (mẫu 03) cho người nộp.") % {"n": notice.number}


def _assign(actor: Any, dossier: Dossier, form: Any) -> str:
    step = processing.step_assign(
        actor=actor,
        code=dossier.code,
        step_id=form.cleaned_data["step"],
        assignee=form.assignee_user(),
    )
    assert step.assignee is not None
    return _("Đã giao bước «%(step)s» cho %(name)s.") % {
        "step": step.name,
        "name": step.assignee.display_name(),
    }


def _forward(actor: Any, dossier: Dossier, form: Any) -> str:
    data = form.cleaned_data
    started = processing.step_forward(
        actor=actor, code=dossier.code, note=data["note"], step_id=data["step"]
    )
    units = ", ".join(dict.fromkeys(step.unit.name for step in started))
    return _("Đã chuyển hồ sơ sang bước tiếp theo: %(units)s.") % {"units": units or "—"}


def _consult(actor: Any, dossier: Dossier, form: Any) -> str:
    data = form.cleaned_data
    step = processing.consultation_request(
        actor=actor,
        code=dossier.code,
        unit=data["unit"],
        question=data["question"],
        budget=data["budget"],
    )
    return _("Đã gửi xin ý kiến %(unit)s.") % {"unit": step.unit.name}


def _consultation_reply(actor: Any, dossier: Dossier, form: Any) -> str:
    processing.consultation_reply(actor=actor, code=dossier.code, opinion=form.cleaned_data["note"])
    return _("Đã gửi ý kiến trả lời.")


def _supplement_propose(actor: Any, dossier: Dossier, form: Any) -> str:
    processing.supplement_propose(
        actor=actor,
        code=dossier.code,
        items=form.items(),
        legal_basis=form.cleaned_data["legal_basis"],
    )
    return _("Đã trình lãnh đạo phòng duyệt yêu cầu bổ sung.")


def _supplement_decide(actor: Any, dossier: Dossier, form: Any) -> str:
    approve = form.cleaned_data["decision"] == "approve"
    request = processing.supplement_decide(
        actor=actor, code=dossier.code, approve=approve, note=form.cleaned_data["note"]
    )
    if request.notice is None:
        return _("Đã không duyệt đề nghị bổ sung.")
    return _("Đã duyệt; phiếu yêu cầu bổ sung %(n)s đã gửi người nộp.") % {
        "n": request.notice.number
    }


def _supplement_receive(actor: Any, dossier: Dossier, form: Any) -> str:
    processing.supplement_receive(
        actor=actor,
        code=dossier.code,
        note=form.cleaned_data["note"],
        scans=form.cleaned_data["scans"],
    )
    return _("Đã nhận hồ sơ bổ sung; thời hạn giải quyết được tính tiếp.")


def _payment_notice(actor: Any, dossier: Dossier, form: Any) -> str:
    payment = processing.payment_notice_issue(actor=actor, code=dossier.code, lines=form.lines())
    return _("Đã ra thông báo nộp tiền %(n)s.") % {"n": payment.number}


def _payment_record(actor: Any, dossier: Dossier, form: Any) -> str:
    processing.payment_record(
        actor=actor, code=dossier.code, receipt_number=form.cleaned_data["receipt_number"]
    )
    return _("Đã ghi nhận nộp tiền; thời hạn giải quyết được tính tiếp.")


def _apology(actor: Any, dossier: Dossier, form: Any) -> str:
    notice = processing.apology_issue(
        actor=actor,
        code=dossier.code,
        reason=form.cleaned_data["reason"],
        new_due_at=form.cleaned_data["new_due_at"],
    )
    return _("Đã ban hành văn bản xin lỗi %(n)s.") % {"n": notice.number}


def _reject(actor: Any, dossier: Dossier, form: Any) -> str:
    notice = processing.dossier_reject(
        actor=actor,
        code=dossier.code,
        reason=form.cleaned_data["reason"],
        legal_basis=form.cleaned_data["legal_basis"],
    )
    return _("Đã ban hành thông báo %(n)s.") % {"n": notice.number}


def _withdrawal_request(actor: Any, dossier: Dossier, form: Any) -> str:
    processing.withdrawal_request(
        actor=actor, code=dossier.code, reason=form.cleaned_data["reason"]
    )
    return _("Đã ghi nhận đề nghị rút hồ sơ; chờ cơ quan giải quyết xác nhận.")


def _withdrawal_confirm(actor: Any, dossier: Dossier, form: Any) -> str:
    notice = processing.withdrawal_confirm(actor=actor, code=dossier.code)
    return _("Đã dừng giải quyết hồ sơ; thông báo %(n)s.") % {"n": notice.number}


def _withdrawal_decline(actor: Any, dossier: Dossier, form: Any) -> str:
    processing.withdrawal_decline(
        actor=actor, code=dossier.code, reason=form.cleaned_data["reason"]
    )
    return _("Đã từ chối đề nghị rút hồ sơ; hồ sơ tiếp tục được giải quyết.")


def _resolve(actor: Any, dossier: Dossier, form: Any) -> str:
    data = form.cleaned_data
    processing.dossier_resolve(
        actor=actor,
        code=dossier.code,
        result_number=data["result_number"],
        summary=data["summary"],
        document=data["document"] or None,
        step_id=data["step"],
    )
    return _("Đã ban hành kết quả; hồ sơ chuyển về Bộ phận Một cửa.")


def _return(actor: Any, dossier: Dossier, form: Any) -> str:
    data = form.cleaned_data
    processing.dossier_return(
        actor=actor,
        code=dossier.code,
        channel=data["channel"],
        recipient=processing.Recipient(
            name=data["recipient_name"], id_number=data["recipient_id_number"]
        ),
        tracking_number=data["tracking_number"],
    )
    return _("Đã trả kết quả hồ sơ %(code)s.") % {"code": dossier.code}


def _mark_uncollected(actor: Any, dossier: Dossier, form: Any) -> str:
    processing.dossier_mark_uncollected(actor=actor, code=dossier.code)
    return _("Đã ghi nhận người nộp chưa đến nhận kết quả.")


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "online_accept",
        "tiep-nhan-truc-tuyen",
        gettext_lazy("Tiếp nhận hồ sơ trực tuyến"),
        action_forms.ConfirmForm,
        _online_accept,
        explanation=gettext_lazy(
            "Hồ sơ đầy đủ, hợp lệ: thời hạn giải quyết bắt đầu tính từ bây giờ, hồ sơ được "
            "chuyển đến cơ quan giải quyết và người nộp nhận được ngày hẹn trả kết quả."
        ),
    ),
    ActionSpec(
        "online_completion",
        "yeu-cau-hoan-thien",
        gettext_lazy("Yêu cầu hoàn thiện hồ sơ (mẫu 02)"),
        action_forms.SupplementProposeForm,
        _online_completion,
        explanation=gettext_lazy(
            "Nêu một lần tất cả nội dung cần hoàn thiện, mỗi nội dung có lý do. Hồ sơ chưa được "
            "tiếp nhận; người nộp hoàn thiện trên Cổng dịch vụ công rồi gửi lại."
        ),
    ),
    ActionSpec(
        "online_refuse",
        "tu-choi-tiep-nhan",
        gettext_lazy("Từ chối tiếp nhận (mẫu 03)"),
        action_forms.RejectForm,
        _online_refuse,
        secondary=True,
    ),
    ActionSpec(
        "assign",
        "phan-cong",
        gettext_lazy("Phân công thụ lý"),
        action_forms.AssignForm,
        _assign,
        form_kwargs=lambda viewer, dossier: {"steps": assignable_steps(viewer, dossier)},
    ),
    ActionSpec(
        "forward",
        "chuyen-tiep",
        gettext_lazy("Hoàn thành bước, chuyển tiếp"),
        action_forms.ForwardForm,
        _forward,
        form_kwargs=_work_step,
        explanation=gettext_lazy(
            "Bước của bạn kết thúc (được ghi trước hạn, đúng hạn hay quá hạn) và hồ sơ chuyển "
            "sang bước tiếp theo của quy trình."
        ),
    ),
    ActionSpec(
        "consult",
        "lay-y-kien",
        gettext_lazy("Lấy ý kiến cơ quan phối hợp"),
        action_forms.ConsultForm,
        _consult,
    ),
    ActionSpec(
        "consultation_reply",
        "tra-loi-y-kien",
        gettext_lazy("Trả lời xin ý kiến"),
        action_forms.ConsultationReplyForm,
        _consultation_reply,
    ),
    ActionSpec(
        "supplement_propose",
        "de-nghi-bo-sung",
        gettext_lazy("Đề nghị yêu cầu bổ sung hồ sơ"),
        action_forms.SupplementProposeForm,
        _supplement_propose,
        explanation=gettext_lazy(
            "Chỉ được yêu cầu bổ sung một lần: nêu tất cả nội dung cần bổ sung, mỗi nội dung có "
            "lý do. Lãnh đạo phòng duyệt trước khi gửi người nộp (mẫu 02)."
        ),
    ),
    ActionSpec(
        "supplement_decide",
        "duyet-bo-sung",
        gettext_lazy("Duyệt yêu cầu bổ sung"),
        action_forms.SupplementDecideForm,
        _supplement_decide,
        explanation=gettext_lazy(
            "Khi duyệt, phiếu yêu cầu bổ sung được gửi người nộp và thời hạn giải quyết tạm "
            "dừng cho đến khi nhận đủ hồ sơ bổ sung."
        ),
    ),
    ActionSpec(
        "supplement_receive",
        "nhan-bo-sung",
        gettext_lazy("Nhận hồ sơ bổ sung"),
        action_forms.SupplementReceiveForm,
        _supplement_receive,
    ),
    ActionSpec(
        "payment_notice",
        "ra-thong-bao-nop-tien",
        gettext_lazy("Ra thông báo nộp tiền"),
        action_forms.PaymentNoticeForm,
        _payment_notice,
        form_kwargs=lambda viewer, dossier: {"lines": processing.payment_lines_proposed(dossier)},
        explanation=gettext_lazy(
            "Các khoản do cơ quan thuế thu theo danh mục thủ tục đã được điền sẵn; nhập số tiền "
            "của trường hợp này."
        ),
    ),
    ActionSpec(
        "payment_record",
        "ghi-nhan-nop-tien",
        gettext_lazy("Ghi nhận đã nộp tiền"),
        action_forms.PaymentRecordForm,
        _payment_record,
    ),
    ActionSpec(
        "apology",
        "xin-loi-hen-lai",
        gettext_lazy("Xin lỗi và hẹn lại ngày trả (mẫu 04)"),
        action_forms.ApologyForm,
        _apology,
        explanation=gettext_lazy(
            "Chỉ một lần, chậm nhất một ngày làm việc trước hạn trả. Giờ nhập theo giờ Việt Nam."
        ),
    ),
    ActionSpec(
        "reject",
        "khong-du-dieu-kien",
        gettext_lazy("Trả lại hồ sơ không đủ điều kiện"),
        action_forms.RejectForm,
        _reject,
        secondary=True,
    ),
    ActionSpec(
        "withdrawal_request",
        "de-nghi-rut",
        gettext_lazy("Nhận đề nghị rút hồ sơ"),
        action_forms.ReasonForm,
        _withdrawal_request,
        secondary=True,
    ),
    ActionSpec(
        "withdrawal_confirm",
        "xac-nhan-rut",
        gettext_lazy("Xác nhận rút hồ sơ (mẫu 05)"),
        action_forms.ConfirmForm,
        _withdrawal_confirm,
        explanation=gettext_lazy("Hồ sơ dừng giải quyết và thông báo dừng được gửi người nộp."),
        secondary=True,
    ),
    ActionSpec(
        "withdrawal_decline",
        "tu-choi-rut",
        gettext_lazy("Không chấp nhận rút hồ sơ"),
        action_forms.ReasonForm,
        _withdrawal_decline,
        secondary=True,
    ),
    ActionSpec(
        "resolve",
        "ban-hanh-ket-qua",
        gettext_lazy("Ban hành kết quả"),
        action_forms.ResolveForm,
        _resolve,
        form_kwargs=_work_step,
    ),
    ActionSpec(
        "return",
        "tra-ket-qua",
        gettext_lazy("Trả kết quả"),
        action_forms.ReturnForm,
        _return,
        explanation=gettext_lazy(
            "Trả tại Trung tâm: ghi họ tên và số định danh người nhận. Qua bưu chính: ghi số "
            "hiệu bưu gửi."
        ),
    ),
    ActionSpec(
        "mark_uncollected",
        "chua-den-nhan",
        gettext_lazy("Ghi nhận chưa đến nhận kết quả"),
        action_forms.ConfirmForm,
        _mark_uncollected,
        secondary=True,
    ),
)
ACTIONS_BY_NAME = {spec.name: spec for spec in ACTIONS}


def _show_refusal(form: action_forms.ActionForm, error: DomainError) -> None:
    name = error.extra.get("field")
    shown = name in form.fields and not form.fields[name].widget.is_hidden
    form.add_error(name if shown else None, str(error.message))


def action_page(spec: ActionSpec) -> Callable[..., HttpResponseBase]:
    """The page of one action: GET shows the form, POST calls the service and redirects."""

    @officer_required
    def page(request: HttpRequest, code: str) -> HttpResponse:
        dossier = dossier_get(viewer=request.user, code=code)
        posted = request.method == "POST"
        if not posted and spec.name not in available_actions(request.user, dossier):
            raise PermissionDenied(
                _("Bạn không thể «%(action)s» hồ sơ %(code)s lúc này (trạng thái «%(state)s»).")
                % {
                    "action": spec.label,
                    "code": dossier.code,
                    "state": dossier.get_state_display(),
                }
            )
        form = spec.form(
            request.POST if posted else None,
            request.FILES if posted else None,
            dossier=dossier,
            **spec.form_kwargs(request.user, dossier),
        )
        status = 400 if posted else 200
        if posted and form.is_valid():
            try:
                message = spec.perform(request.user, dossier, form)
            except (PermissionDenied, NotFound):
                raise  # the refusal page: this form is of no use to this officer
            except DomainError as error:
                _show_refusal(form, error)
                status = error.status
            else:
                messages.success(request, message)
                return redirect("backoffice:dossier", code=dossier.code)
        context = {"dossier": dossier, "form": form, "spec": spec}
        return render(request, "backoffice/action.html", context, status=status)

    page.__name__ = page.__qualname__ = spec.url_name
    return page
