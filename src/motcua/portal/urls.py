from django.urls import path

from motcua.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("thu-tuc/", views.procedures, name="procedures"),
    path("thu-tuc/<str:national_code>/", views.procedure, name="procedure"),
]
