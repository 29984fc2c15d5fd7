from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from motcua.api.base import NotFoundApi
from motcua.api.calendar import DueDateComputeApi
from motcua.api.dossiers import DossierCollectionApi, DossierDetailApi
from motcua.api.lookup import DossierLookupApi
from motcua.api.procedures import ProcedureDetailApi, ProcedureListApi

app_name = "api"
urlpatterns = [
    path("procedures/", ProcedureListApi.as_view(), name="procedure_list"),
    path("procedures/<str:national_code>/", ProcedureDetailApi.as_view(), name="procedure_detail"),
    # GET lists (DossierListApi), POST receives (DossierReceiveApi).
    path("dossiers/", DossierCollectionApi.as_view(), name="dossiers"),
    path("dossiers/<str:code>/", DossierDetailApi.as_view(), name="dossier_detail"),
    path("lookup/", DossierLookupApi.as_view(), name="lookup"),
    path("calendar/due-date/", DueDateComputeApi.as_view(), name="due_date"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Anything else under /api/v1/ is a 404 in the problem shape too. Only paths ending in a
    # slash match, so a missing trailing slash is still redirected (APPEND_SLASH).
    re_path(r"^.*/$", NotFoundApi.as_view()),
]
