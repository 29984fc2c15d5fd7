from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def center(request: HttpRequest) -> dict[str, str]:
    return {"center_name": settings.MOTCUA_CENTER_NAME}
