from django.urls import URLPattern, URLResolver, path

from motcua.backoffice import rating_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("danh-gia/", rating_views.summary, name="rating_summary"),
    path("danh-gia/theo-doi/", rating_views.followups, name="followups"),
    path("danh-gia/theo-doi/<int:pk>/", rating_views.followup, name="followup"),
    path(
        "danh-gia/theo-doi/<int:pk>/nhan-xu-ly/",
        rating_views.followup_take_view,
        name="followup_take",
    ),
    path(
        "danh-gia/theo-doi/<int:pk>/dong/",
        rating_views.followup_close_view,
        name="followup_close",
    ),
]
