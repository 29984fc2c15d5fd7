"""The public transparency board (bảng công khai): this month's figures per agency and the
center's satisfaction ratings, for anyone, without signing in. Numbers only: no dossier,
applicant or officer appears on it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.reports.selectors import public_board


def board(request: HttpRequest) -> HttpResponse:
    # Not cached in shared caches: the page's header carries the visitor's own account links
    # and the language form's CSRF token.
    return render(request, "portal/board.html", {"board": public_board()})
