from django.urls import URLPattern, URLResolver, path

from motcua.accounts.models import CodePurpose
from motcua.portal import account_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("dang-ky/", views.signup, name="signup"),
    path("dang-ky/xac-nhan/", views.signup_confirm, name="signup_confirm"),
    path(
        "dang-ky/gui-lai-ma/",
        views.resend,
        {"purpose": CodePurpose.SIGNUP},
        name="signup_resend",
    ),
    path("dang-nhap/", views.login_page, name="login"),
    path("dang-nhap/ma/", views.login_code, name="login_code"),
    path("dang-nhap/ma/xac-nhan/", views.login_code_confirm, name="login_code_confirm"),
    path(
        "dang-nhap/ma/gui-lai-ma/",
        views.resend,
        {"purpose": CodePurpose.LOGIN},
        name="login_code_resend",
    ),
    path("dang-nhap/oidc/", views.oidc_login, name="oidc_login"),
    path("dang-nhap/oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("dang-xuat/", views.logout_page, name="logout"),
    path("tai-khoan/", views.profile, name="profile"),
    path("tai-khoan/xac-nhan/", views.contact_confirm, name="contact_confirm"),
    path(
        "tai-khoan/gui-lai-ma/",
        views.resend,
        {"purpose": CodePurpose.CONTACT},
        name="contact_resend",
    ),
]
