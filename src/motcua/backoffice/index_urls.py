from django.urls import URLPattern, URLResolver, path

from motcua.backoffice import index_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("chi-so-766/", index_views.index766, name="index766"),
    path("chi-so-766/chi-so-766.xlsx", index_views.index766_workbook, name="index766_xlsx"),
    path("chi-tieu-truc-tuyen/", index_views.online_targets, name="online_targets"),
]
