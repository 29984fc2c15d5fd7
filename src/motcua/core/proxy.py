"""The client's own address behind the reverse proxy.

Every per-client limit (sign-in lockout, lookup and one-time-code throttles) counts by
REMOTE_ADDR. Behind nginx that is nginx's own address, so without this one client's failures
would lock out a whole province. When the direct peer is one of MOTCUA_TRUSTED_PROXIES, the
client is the nearest address in X-Forwarded-For that is not itself a trusted proxy (each
proxy appends the peer it saw, so anything further left may have been written by the client).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def trusted_networks() -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(entry, strict=False) for entry in settings.MOTCUA_TRUSTED_PROXIES
    )


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_client(*, peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address given the direct peer and the X-Forwarded-For header."""
    if not networks or not _trusted(peer, networks):
        return peer
    client = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # a garbled entry: trust nothing beyond it
        client = hop
        if not _trusted(hop, networks):
            break
    return client


def client_address(request: HttpRequest | None) -> str:
    """The address every per-client limit counts: the client's own once the middleware below
    has run ("unknown" where a form was built without its request)."""
    return request.META.get("REMOTE_ADDR", "unknown") if request is not None else "unknown"


class ForwardedClientMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        networks = trusted_networks()
        if networks:
            peer = request.META.get("REMOTE_ADDR", "")
            request.META["REMOTE_ADDR"] = forwarded_client(
                peer=peer,
                forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", ""),
                networks=networks,
            )
        return self.get_response(request)
