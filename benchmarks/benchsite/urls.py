from django.urls import include, path

from benchsite import views

urlpatterns = [
    path("bench/minimal-lookup/<str:code>/", views.minimal_lookup),
    path("bench/minimal-insert/", views.minimal_insert),
    path("", include("motcua.urls")),
]
