from django.urls import URLPattern, URLResolver, path

from motcua.portal import online_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("thu-tuc/<str:national_code>/nop-truc-tuyen/", views.draft_start, name="draft_start"),
    path("ho-so-nhap/<int:draft_id>/", views.draft, name="draft"),
    path("ho-so-nhap/<int:draft_id>/xoa/", views.draft_delete, name="draft_delete"),
    path("ho-so-cua-toi/", views.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<str:code>/", views.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<str:code>/hoan-thien/", views.resubmit, name="my_dossier_resubmit"),
    path("ho-so-cua-toi/<str:code>/bo-sung/", views.supplement, name="my_dossier_supplement"),
    path("ho-so-cua-toi/<str:code>/rut/", views.withdraw, name="my_dossier_withdraw"),
    path("ho-so-cua-toi/<str:code>/ket-qua.pdf", views.result_download, name="my_dossier_result"),
    path("kho-giay-to/", views.document_store, name="document_store"),
    path("kho-giay-to/<int:document_id>/", views.document_download, name="document_download"),
]
