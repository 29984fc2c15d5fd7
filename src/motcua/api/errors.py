from __future__ import annotations

from typing import Any

from rest_framework.views import exception_handler


def problem_details_handler(exc: Exception, context: dict[str, Any]) -> Any:
    return exception_handler(exc, context)
