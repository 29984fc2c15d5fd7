from django.urls import URLPattern, URLResolver, path

from motcua.backoffice import security_views

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "dang-nhap/ma-xac-thuc/",
        security_views.login_second_factor,
        name="login_second_factor",
    ),
    path("bao-mat/", security_views.security, name="security"),
    path(
        "bao-mat/xac-thuc-hai-lop/",
        security_views.second_factor_enrol_page,
        name="second_factor_enrol",
    ),
]
