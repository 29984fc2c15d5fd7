from django.contrib.auth import views as auth_views
from django.urls import include, path

from motcua.backoffice import processing_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("motcua.backoffice.payment_urls")),
    path("", include("motcua.backoffice.rating_urls")),
    path("", include("motcua.backoffice.report_urls")),
    path("", include("motcua.backoffice.index_urls")),
    path("", include("motcua.backoffice.supervision_urls")),
    path("", include("motcua.backoffice.evaluation_urls")),
    path("", include("motcua.backoffice.security_urls")),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("viec-cua-toi/", views.my_work, name="worklist"),
    path("so-theo-doi/", views.logbook, name="logbook"),
    path("so-theo-doi/so-theo-doi.pdf", views.logbook_pdf, name="logbook_pdf"),
    path("so-theo-doi/so-theo-doi.xlsx", views.logbook_workbook, name="logbook_xlsx"),
    path("tiep-nhan/", views.intake_select, name="intake_select"),
    path("tiep-nhan/<int:version_id>/", views.intake, name="intake"),
    path("ho-so/", views.dossiers, name="dossiers"),
    path("ho-so/<str:code>/", views.dossier, name="dossier"),
    path("ho-so/<str:code>/giay-tiep-nhan.pdf", views.receipt, name="receipt"),
    path(
        "ho-so/<str:code>/tai-lieu/<int:component_id>/",
        views.dossier_document,
        name="dossier_document",
    ),
    path(
        "ho-so/<str:code>/phieu-kiem-soat.pdf",
        views.control_slip,
        name="control_slip",
    ),
    path(
        "ho-so/<str:code>/thong-bao-nop-tien.pdf",
        views.payment_notice_print,
        name="payment_notice_print",
    ),
    path(
        "ho-so/<str:code>/phieu/<str:number>.pdf",
        views.dossier_notice_print,
        name="dossier_notice_print",
    ),
    path("ho-so/<str:code>/ket-qua/", views.result_document, name="result_document"),
    *[
        path(
            f"ho-so/<str:code>/{spec.slug}/",
            processing_views.action_page(spec),
            name=spec.url_name,
        )
        for spec in processing_views.ACTIONS
    ],
    path("phieu/", views.notices, name="notices"),
    path("phieu/<str:number>/", views.notice, name="notice"),
    path("phieu/<str:number>/in.pdf", views.notice_print, name="notice_print"),
]
