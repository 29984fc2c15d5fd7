from django.urls import URLPattern, URLResolver, path

from motcua.backoffice import payment_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("thanh-toan/", views.payments, name="payments"),
    path("thanh-toan/<str:txn_ref>/", views.payment, name="payment"),
    path("thanh-toan/<str:txn_ref>/hoan-tien/", views.payment_refund, name="payment_refund"),
    path("thanh-toan/<str:txn_ref>/bien-lai.pdf", views.payment_receipt, name="payment_receipt"),
    path("doi-soat-thanh-toan/", views.reconciliation, name="payment_reconciliation"),
]
