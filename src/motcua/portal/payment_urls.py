from django.urls import URLPattern, URLResolver, path

from motcua.portal import payment_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("ho-so-cua-toi/<str:code>/thanh-toan/", views.payment, name="payment"),
    path(
        "ho-so-cua-toi/<str:code>/bien-lai/<str:txn_ref>.pdf",
        views.receipt,
        name="payment_receipt",
    ),
    path("thanh-toan/ket-qua/", views.payment_result, name="payment_return"),
    path("thanh-toan/ipn/", views.ipn, name="payment_ipn"),
]
