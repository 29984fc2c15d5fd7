"""The fake OpenID Connect provider over real HTTP on 127.0.0.1, and a small browser for it."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any

import pytest

from motcua.accounts.fake_oidc_provider import FakeOidcProvider

CLIENT_ID = "motcua-test"
CLIENT_SECRET = "s3cret:with/odd chars&=-and-long-enough"
CALLBACK_PATH = "/dang-nhap/oidc/callback/"


def provider_for(settings: Any, site_url: str, **options: Any) -> FakeOidcProvider:
    """A started provider that knows our callback; the settings point at it."""
    provider = FakeOidcProvider(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[site_url + CALLBACK_PATH],
        **options,
    ).start()
    settings.SITE_URL = site_url
    settings.MOTCUA_OIDC_ISSUER = provider.issuer
    settings.MOTCUA_OIDC_CLIENT_ID = CLIENT_ID
    settings.MOTCUA_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.MOTCUA_OIDC_PROVIDER_NAME = "VNeID"
    return provider


@pytest.fixture
def oidc_provider(settings: Any) -> Iterator[FakeOidcProvider]:
    """The provider, for pages driven by Django's test client (the site is http://testserver)."""
    provider = provider_for(settings, "http://testserver")
    yield provider
    provider.stop()


@dataclass
class Page:
    status: int
    url: str
    headers: Any
    text: str

    @property
    def location(self) -> str:
        return urllib.parse.urljoin(self.url, self.headers.get("Location", ""))


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """urllib with cookies; follows redirects one step at a time, so tests can stop in between."""

    def __init__(self) -> None:
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _Stay()
        )

    def open(self, url: str, data: dict[str, str] | None = None) -> Page:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=10) as response:
                return Page(response.status, url, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Page(error.code, url, error.headers, error.read().decode())

    def follow(self, url: str, data: dict[str, str] | None = None, *, until: str = "") -> Page:
        """Open and follow redirects (as GET), stopping before a URL that starts with `until`."""
        page = self.open(url, data)
        for _hop in range(10):
            if page.status not in (301, 302, 303, 307) or (
                until and page.location.startswith(until)
            ):
                return page
            page = self.open(page.location)
        raise AssertionError("too many redirects")


def choose_identity(browser: Browser, authorize_url: str, subject: str) -> str:
    """At the provider: open the authorization page, pick a person; where it sends us back."""
    page = browser.open(authorize_url)
    assert page.status == 200, page.text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text)
    assert request_id, page.text
    issuer = authorize_url.split("/authorize")[0]
    answer = browser.open(
        f"{issuer}/authorize", {"request_id": request_id.group(1), "subject": subject}
    )
    assert answer.status == 302, answer.text
    return answer.location


@pytest.fixture
def browser() -> Browser:
    return Browser()
