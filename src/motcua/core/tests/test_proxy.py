"""Behind the reverse proxy, limits count the client's address, not the proxy's."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from motcua.core.proxy import forwarded_client, trusted_networks

PROXIES = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("127.0.0.1/32"))


@pytest.mark.parametrize(
    "peer, header, client",
    [
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        # The client wrote its own header; nginx appended what it saw: the right-most counts.
        ("10.0.0.5", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        # Two proxies in a row (a load balancer before nginx).
        ("127.0.0.1", "203.0.113.7, 10.0.0.9", "203.0.113.7"),
        # A peer that is not a trusted proxy cannot choose its address.
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),
        # Garbage stops the walk at the last address a trusted proxy vouched for.
        ("10.0.0.5", "203.0.113.7, not-an-address", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
    ],
)
def test_the_client_is_the_nearest_untrusted_hop(peer, header, client):
    assert forwarded_client(peer=peer, forwarded_for=header, networks=PROXIES) == client


def test_without_trusted_proxies_the_header_is_ignored():
    assert forwarded_client(peer="10.0.0.5", forwarded_for="203.0.113.7", networks=()) == "10.0.0.5"


@pytest.mark.django_db
def test_lookup_failures_behind_the_proxy_count_per_client(demo, settings):
    settings.MOTCUA_LOOKUP_MAX_FAILURES = 2
    with override_settings(MOTCUA_TRUSTED_PROXIES=["127.0.0.1"]):
        trusted_networks.cache_clear()
        try:
            statuses = {}
            for who in ("203.0.113.7", "203.0.113.7", "203.0.113.7", "198.51.100.2"):
                response = Client(REMOTE_ADDR="127.0.0.1").post(
                    reverse("api:lookup"),
                    {"code": "KHONG-CO-0001", "secret": "000000"},
                    content_type="application/json",
                    headers={"x-forwarded-for": who},
                )
                statuses.setdefault(who, []).append(response.status_code)
        finally:
            trusted_networks.cache_clear()
    assert statuses["203.0.113.7"][-1] == 429  # the one who guessed is paused ...
    assert statuses["198.51.100.2"] == [404]  # ... the next citizen behind the same proxy is not
