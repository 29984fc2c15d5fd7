"""The citizen's online dossiers: start from a procedure, fill in the draft (declaration,
attachments uploaded or reused from the document store), submit, then follow, complete,
supplement, withdraw and collect the signed result from "my dossiers"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.catalog.selectors import procedure_current_version, procedure_get, version_get
from motcua.core.errors import DomainError, NotFound, ValidationFailed
from motcua.core.responses import stored_file_response
from motcua.documents.selectors import (
    citizen_document_get,
    citizen_documents,
    citizen_openable_documents,
)
from motcua.documents.services import document_validate_upload
from motcua.dossiers import online
from motcua.dossiers.citizen import citizen_dossier_get, citizen_dossiers, citizen_route
from motcua.dossiers.models import Dossier, DossierDraft, DossierState, ResultChannel
from motcua.dossiers.selectors import dossier_milestones
from motcua.lib import jsonform
from motcua.notifications.selectors import messages_for
from motcua.payments.selectors import dossier_fees_outstanding, dossier_payable_now, dues_for
from motcua.portal.access import citizen_required

_APPLICANT_FIELDS = ("kind", "name", "id_number", "address", "phone", "email")


@citizen_required
@require_POST
def draft_start(request: HttpRequest, national_code: str) -> HttpResponseBase:
    procedure = procedure_get(national_code=national_code)
    version = version_get(pk=procedure_current_version(procedure=procedure).pk)
    draft = online.draft_start(user=request.user, version=version)
    return redirect("portal:draft", draft_id=draft.pk)


def _uploads(request: HttpRequest, prefix: str = "file_") -> list[tuple[int | None, Any]]:
    """(component id or None for "other documents", file) from inputs named file_<id>."""
    found: list[tuple[int | None, Any]] = []
    for name in request.FILES:
        key = name.removeprefix(prefix)
        requirement_id = int(key) if key.isdigit() else None
        found.extend((requirement_id, f) for f in request.FILES.getlist(name))
    return found


def _draft_context(draft: DossierDraft, problems: dict[str, str] | None = None) -> dict[str, Any]:
    version = draft.procedure_version
    attached = draft.attachments
    store = list(citizen_documents(user=draft.user)[:50])
    documents = citizen_openable_documents(user=draft.user).in_bulk(
        [entry["document"] for entry in attached.values()]
    )
    problems = problems or {}
    components = []
    for requirement in version.components.all():
        entry = attached.get(str(requirement.pk))
        components.append(
            {
                "requirement": requirement,
                "attachment": entry,
                "document": documents.get(entry["document"]) if entry else None,
                "error": problems.get(f"component_{requirement.pk}", ""),
            }
        )
    form_errors = {k.removeprefix("form_"): v for k, v in problems.items() if k.startswith("form_")}
    applicant_errors = {
        k.removeprefix("applicant_"): v for k, v in problems.items() if k.startswith("applicant_")
    }
    return {
        "draft": draft,
        "version": version,
        "applicant": draft.applicant,
        "applicant_errors": applicant_errors,
        "fields": jsonform.form_fields(version.form_schema),
        "values": draft.form_data,
        "errors": form_errors,
        "components": components,
        "store": store,
        "result_channels": [
            (c, ResultChannel(c).label) for c in online.result_channels_for(version)
        ],
    }


@citizen_required
def draft(request: HttpRequest, draft_id: int) -> HttpResponseBase:
    """The draft: one form for everything; "save" keeps it, "submit" sends it to the desk."""
    try:
        current = online.draft_get(user=request.user, draft_id=draft_id)
    except online.DraftSubmitted as done:
        # Submitted already (a retry after a lost answer, a second tab): show the dossier.
        return redirect(reverse("portal:my_dossier", args=[done.extra["dossier"]]) + "?moi=1")
    if request.method != "POST":
        return render(request, "portal/online/draft.html", _draft_context(current))
    uploads = _uploads(request)
    try:
        for _requirement, uploaded in uploads:
            document_validate_upload(uploaded=uploaded)
        _draft_update(request, current, uploads)
    except DomainError as error:
        # A bad file: nothing of this POST is kept, and the page says why.
        current.refresh_from_db()
        context = _draft_context(current)
        context["error"] = error.message
        return render(request, "portal/online/draft.html", context, status=error.status)
    if "submit" not in request.POST:
        messages.success(request, _("Đã lưu hồ sơ nháp."))
        return redirect("portal:draft", draft_id=current.pk)
    try:
        submission = online.draft_submit(draft=current)
    except ValidationFailed as error:
        context = _draft_context(current, error.extra.get("fields", {}))
        context["error"] = error.message
        return render(request, "portal/online/draft.html", context, status=error.status)
    return redirect(reverse("portal:my_dossier", args=[submission.dossier.code]) + "?moi=1")


@transaction.atomic
def _draft_update(
    request: HttpRequest, current: DossierDraft, uploads: Sequence[tuple[int | None, Any]]
) -> None:
    post = request.POST
    form_data: dict[str, Any] = {
        f.name: (f.name in post) if f.kind == "checkbox" else post.get(f.name, "")
        for f in jsonform.form_fields(current.procedure_version.form_schema)
    }
    online.draft_save(
        draft=current,
        applicant={key: post.get(f"applicant_{key}", "") for key in _APPLICANT_FIELDS},
        form_data=form_data,
        result_channel=post.get("result_channel", ""),
    )
    if post.get("detach", "").isdigit():
        online.draft_detach(draft=current, requirement_id=int(post["detach"]))
    for requirement_id, uploaded in uploads:
        if requirement_id is not None:
            online.draft_attach(draft=current, requirement_id=requirement_id, uploaded=uploaded)
    for key in post:
        requirement, value = key.removeprefix("reuse_"), post.get(key, "")
        if key.startswith("reuse_") and requirement.isdigit() and value.isdigit():
            online.draft_reuse(
                draft=current, requirement_id=int(requirement), document_id=int(value)
            )


@citizen_required
@require_POST
def draft_delete(request: HttpRequest, draft_id: int) -> HttpResponseBase:
    online.draft_delete(draft=online.draft_get(user=request.user, draft_id=draft_id))
    messages.success(request, _("Đã xóa hồ sơ nháp."))
    return redirect("portal:my_dossiers")


@citizen_required
def my_dossiers(request: HttpRequest) -> HttpResponseBase:
    dossiers = (
        citizen_dossiers(user=request.user)
        .select_related("procedure_version")
        .order_by("-submitted_at", "-received_at", "-pk")[:200]
    )
    return render(
        request,
        "portal/online/my_dossiers.html",
        {"dossiers": dossiers, "drafts": online.drafts_of(user=request.user)},
    )


@citizen_required
def my_dossier(request: HttpRequest, code: str) -> HttpResponseBase:
    dossier = citizen_dossier_get(user=request.user, code=code)
    return render(request, "portal/online/my_dossier.html", _dossier_context(request, dossier))


def _dossier_context(request: HttpRequest, dossier: Dossier) -> dict[str, Any]:
    state = dossier.state
    dues = dues_for(dossier)
    notices = list(dossier.reception_notices.all())
    supplement = next(
        (s for s in dossier.supplements.all() if s.status == "issued" and s.notice_id), None
    )
    return {
        "dossier": dossier,
        "just_submitted": request.GET.get("moi") == "1",
        "expected_due_at": online.expected_due_at(dossier)
        if state == DossierState.SUBMITTED_ONLINE
        else None,
        "milestones": dossier_milestones(dossier=dossier),
        "route": citizen_route(dossier=dossier),
        "messages_sent": messages_for(target_type="dossier", target_id=dossier.code),
        "components": dossier.components.all(),
        "completion_notice": notices[-1]
        if state == DossierState.COMPLETION_REQUESTED and notices
        else None,
        "refusal_notice": notices[-1] if state == DossierState.REJECTED and notices else None,
        "supplement": supplement if state == DossierState.SUPPLEMENT_REQUESTED else None,
        "requirements": dossier.procedure_version.components.all(),
        "can_withdraw": online.withdrawable(dossier),
        "result_available": online.online_result_available(dossier),
        "fees_outstanding": dossier_fees_outstanding(dossier, dues=dues),
        "payable_now": dossier_payable_now(dossier, dues=dues),
        "declaration": jsonform.form_display(
            dossier.procedure_version.form_schema, dossier.form_data
        ),
    }


def _citizen_upload_action(
    request: HttpRequest, code: str, service: Any, done: str
) -> HttpResponseBase:
    try:
        service(
            user=request.user,
            code=code,
            uploads=_uploads(request),
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        dossier = citizen_dossier_get(user=request.user, code=code)
        context = _dossier_context(request, dossier) | {"error": error.message}
        return render(request, "portal/online/my_dossier.html", context, status=error.status)
    messages.success(request, done)
    return redirect("portal:my_dossier", code=code)


@citizen_required
@require_POST
def resubmit(request: HttpRequest, code: str) -> HttpResponseBase:
    return _citizen_upload_action(
        request, code, online.online_resubmit, _("Đã gửi lại hồ sơ để Bộ phận Một cửa tiếp nhận.")
    )


@citizen_required
@require_POST
def supplement(request: HttpRequest, code: str) -> HttpResponseBase:
    return _citizen_upload_action(
        request,
        code,
        online.online_supplement,
        _("Đã gửi hồ sơ bổ sung; thời hạn giải quyết được tính tiếp."),
    )


@citizen_required
@require_POST
def withdraw(request: HttpRequest, code: str) -> HttpResponseBase:
    try:
        dossier = online.online_withdraw(
            user=request.user, code=code, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        dossier = citizen_dossier_get(user=request.user, code=code)
        context = _dossier_context(request, dossier) | {"error": error.message}
        return render(request, "portal/online/my_dossier.html", context, status=error.status)
    if dossier.state == DossierState.STOPPED:
        messages.success(request, _("Đã rút hồ sơ."))
    else:
        messages.success(request, _("Đã gửi đề nghị rút hồ sơ; chờ cơ quan giải quyết xác nhận."))
    return redirect("portal:my_dossier", code=code)


@citizen_required
def result_download(request: HttpRequest, code: str) -> HttpResponseBase:
    dossier = citizen_dossier_get(user=request.user, code=code)
    if dossier_fees_outstanding(dossier):
        raise ValidationFailed(
            _("Cần nộp phí, lệ phí trước khi nhận kết quả."), code="fees_outstanding"
        )
    document = online.online_result_collect(user=request.user, code=code)
    # Saved, not shown in the browser: the signature is checked by the citizen's PDF reader.
    return stored_file_response(document, f"ket-qua-{dossier.code}.pdf", attachment=True)


@citizen_required
def document_store(request: HttpRequest) -> HttpResponseBase:
    return render(
        request,
        "portal/online/document_store.html",
        {"documents": citizen_documents(user=request.user)[:200]},
    )


@citizen_required
def document_download(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = citizen_document_get(user=request.user, document_id=document_id)
    if document is None:
        raise NotFound(_("Không tìm thấy giấy tờ."))
    return stored_file_response(document, document.original_name)
