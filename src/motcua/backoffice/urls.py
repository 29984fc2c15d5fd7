from django.contrib.auth import views as auth_views
from django.urls import path

from motcua.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tiep-nhan/", views.intake_select, name="intake_select"),
    path("tiep-nhan/<int:version_id>/", views.intake, name="intake"),
    path("ho-so/", views.dossiers, name="dossiers"),
    path("ho-so/<str:code>/", views.dossier, name="dossier"),
    path("ho-so/<str:code>/giay-tiep-nhan.pdf", views.receipt, name="receipt"),
    path("phieu/", views.notices, name="notices"),
    path("phieu/<str:number>/", views.notice, name="notice"),
    path("phieu/<str:number>/in.pdf", views.notice_print, name="notice_print"),
]
