from django.urls import URLPattern, URLResolver, path

from motcua.backoffice import supervision_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("canh-bao/", supervision_views.alerts, name="alerts"),
    path("canh-bao/da-xem/", supervision_views.alerts_read, name="alerts_read"),
    path("don-doc/", supervision_views.urges, name="urges"),
    path("ho-so/<str:code>/don-doc/", supervision_views.dossier_urge, name="dossier_urge"),
]
