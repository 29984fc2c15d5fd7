from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from motcua.api import endings, online, processing
from motcua.api.base import NotFoundApi
from motcua.api.calendar import DueDateComputeApi
from motcua.api.dossier_detail import DossierDetailApi
from motcua.api.dossiers import DossierCollectionApi
from motcua.api.lookup import DossierLookupApi
from motcua.api.printing import ControlSlipPdfApi
from motcua.api.procedures import ProcedureDetailApi, ProcedureListApi
from motcua.api.worklist import WorklistApi

# The actions on a dossier: POST /dossiers/{code}/<address>/ (see docs/api.md).
ACTIONS = {
    "online-acceptance": online.OnlineAcceptApi,
    "online-completion-request": online.OnlineCompletionApi,
    "online-refusal": online.OnlineRefuseApi,
    "assign": processing.StepAssignApi,
    "forward": processing.StepForwardApi,
    "consultations": processing.ConsultationRequestApi,
    "consultation-reply": processing.ConsultationReplyApi,
    "supplement-requests": processing.SupplementProposeApi,
    "supplement-requests/decision": processing.SupplementDecideApi,
    "supplement-received": processing.SupplementReceiveApi,
    "payment-notice": processing.PaymentNoticeIssueApi,
    "payment": processing.PaymentRecordApi,
    "apology": processing.ApologyIssueApi,
    "rejection": endings.DossierRejectApi,
    "withdrawal-request": endings.WithdrawalRequestApi,
    "withdrawal-confirmation": endings.WithdrawalConfirmApi,
    "withdrawal-decline": endings.WithdrawalDeclineApi,
    "result": endings.DossierResolveApi,
    "return": endings.DossierReturnApi,
    "uncollected": endings.DossierMarkUncollectedApi,
}

app_name = "api"
urlpatterns = [
    path("procedures/", ProcedureListApi.as_view(), name="procedure_list"),
    path("procedures/<str:national_code>/", ProcedureDetailApi.as_view(), name="procedure_detail"),
    # GET lists (DossierListApi), POST receives (DossierReceiveApi).
    path("dossiers/", DossierCollectionApi.as_view(), name="dossiers"),
    path("dossiers/<str:code>/", DossierDetailApi.as_view(), name="dossier_detail"),
    path(
        "dossiers/<str:code>/control-slip.pdf",
        ControlSlipPdfApi.as_view(),
        name="dossier_control_slip",
    ),
    path(
        "dossiers/<str:code>/payment-notice/proposed-lines/",
        processing.PaymentLinesProposedApi.as_view(),
        name="dossier_payment_lines_proposed",
    ),
    *[
        path(f"dossiers/<str:code>/{address}/", view.as_view(), name=f"dossier_{address}")
        for address, view in ACTIONS.items()
    ],
    path("worklist/", WorklistApi.as_view(), name="worklist"),
    path("lookup/", DossierLookupApi.as_view(), name="lookup"),
    path("calendar/due-date/", DueDateComputeApi.as_view(), name="due_date"),
    path("", include("motcua.api.report_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Anything else under /api/v1/ is a 404 in the problem shape too. Only paths ending in a
    # slash match, so a missing trailing slash is still redirected (APPEND_SLASH).
    re_path(r"^.*/$", NotFoundApi.as_view()),
]
