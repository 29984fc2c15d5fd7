from django.urls import URLPattern, URLResolver, path

from motcua.portal import board_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("cong-khai/", board_views.board, name="transparency_board"),
]
