from django.urls import include, path

from motcua.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("thu-tuc/", views.procedures, name="procedures"),
    path("thu-tuc/<str:national_code>/", views.procedure, name="procedure"),
    # Online services, each area in its own module (names stay in the "portal" namespace).
    path("", include("motcua.portal.account_urls")),
    path("", include("motcua.portal.online_urls")),
    path("", include("motcua.portal.payment_urls")),
    path("", include("motcua.portal.rating_urls")),
    path("", include("motcua.portal.board_urls")),
]
