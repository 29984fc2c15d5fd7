from django.urls import URLPattern, URLResolver, path

from motcua.portal import rating_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("danh-gia/", rating_views.rating_by_receipt, name="rating_by_receipt"),
    path("danh-gia/cam-on/", rating_views.rating_thanks, name="rating_thanks"),
    path("ho-so-cua-toi/<str:code>/danh-gia/", rating_views.rating_own, name="rating_own"),
]
