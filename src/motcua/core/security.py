"""The Content-Security-Policy of every response (settings.SECURE_CSP), with the payment gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCspMiddleware
from django.utils.csp import CSP, build_policy

# A plain str: WSGI servers (wsgiref) refuse a header name of any other type, StrEnum included.
HEADER = str(CSP.HEADER_ENFORCE)


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> dict[str, Any]:
    """SECURE_CSP, with the payment gateway's origin as a form target.

    Paying posts a form to us that redirects to the gateway, and Chromium applies form-action
    to the redirect as well. The gateway is read when answering, not at start-up, so the policy
    follows the setting wherever it is changed.
    """
    policy = dict(settings.SECURE_CSP)
    gateway = origin_of(settings.MOTCUA_PAYMENT_GATEWAY_URL)
    targets = policy.get("form-action")
    if gateway and isinstance(targets, list | tuple) and gateway not in targets:
        policy["form-action"] = [*targets, gateway]
    return policy


def _mentions_nonce(policy: dict[str, Any]) -> bool:
    return any(
        isinstance(values, list | tuple | set) and CSP.NONCE in values for values in policy.values()
    )


class ContentSecurityPolicyMiddleware(DjangoCspMiddleware):
    """Django's CSP middleware, the policy completed by content_security_policy().

    Without a nonce the header is the same for every response: it is built once for the
    settings in force, not for each response, since this runs on every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self._built: tuple[object, str, str | None] | None = None

    def _header(self) -> str | None:
        config, gateway = settings.SECURE_CSP, settings.MOTCUA_PAYMENT_GATEWAY_URL
        built = self._built
        if built is None or built[0] is not config or built[1] != gateway:
            policy = content_security_policy()
            header = None if _mentions_nonce(policy) else build_policy(policy)
            built = self._built = (config, gateway, header)
        return built[2]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # A view that set its own policy (django.views.decorators.csp), a nonce or a report-only
        # policy: Django's way, per response.
        if (
            hasattr(response, "_csp_config")
            or settings.SECURE_CSP_REPORT_ONLY
            or not settings.SECURE_CSP
            or (header := self._header()) is None
        ):
            if settings.SECURE_CSP and not hasattr(response, "_csp_config"):
                response._csp_config = content_security_policy()  # type: ignore[attr-defined]
            return super().process_response(request, response)
        # A view that wrote the header itself keeps it.
        if HEADER not in response:
            response.headers[HEADER] = header
        return response
