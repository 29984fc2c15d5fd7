"""The fake provider refuses what a real one refuses, so the relying party is tested honestly."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
from collections.abc import Iterator

import jwt
import pytest

from motcua.accounts.fake_oidc_provider import FakeOidcProvider
from motcua.accounts.tests.conftest import Browser, choose_identity

CALLBACK = "http://testserver/dang-nhap/oidc/callback/"
SECRET = "a-client-secret-long-enough-for-tests"


@pytest.fixture
def provider() -> Iterator[FakeOidcProvider]:
    with FakeOidcProvider(
        client_id="rp", client_secret=SECRET, redirect_uris=[CALLBACK]
    ) as running:
        yield running


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(provider: FakeOidcProvider, verifier: str, **changes: str) -> str:
    params = {
        "response_type": "code",
        "client_id": "rp",
        "redirect_uri": CALLBACK,
        "scope": "openid profile email phone",
        "state": "st",
        "nonce": "nn",
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
        **changes,
    }
    return f"{provider.issuer}/authorize?{urllib.parse.urlencode(params)}"


def code_for(provider: FakeOidcProvider, verifier: str) -> str:
    callback = choose_identity(Browser(), authorize_url(provider, verifier), "vneid-0001")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
    assert (query["state"], query["iss"]) == ("st", provider.issuer)
    return query["code"]


def redeem(
    provider: FakeOidcProvider, code: str, verifier: str, *, secret: str = SECRET, **changes: str
) -> tuple[int, dict]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "client_id": "rp",
        "client_secret": secret,
        **changes,
    }
    page = Browser().open(f"{provider.issuer}/token", {k: v for k, v in form.items() if v})
    return page.status, json.loads(page.text)


class TestFakeOidcProvider:
    def test_it_issues_a_signed_id_token_with_the_nonce(self, provider):
        verifier = secrets.token_urlsafe(48)
        status, tokens = redeem(provider, code_for(provider, verifier), verifier)
        assert status == 200
        (key,) = provider.jwks()["keys"]
        claims = jwt.decode(tokens["id_token"], jwt.PyJWK(key), algorithms=["RS256"], audience="rp")
        assert (claims["nonce"], claims["sub"], claims["iss"]) == (
            "nn",
            "vneid-0001",
            provider.issuer,
        )

    def test_it_never_redirects_to_an_unregistered_uri(self, provider):
        page = Browser().open(
            authorize_url(provider, "v" * 43, redirect_uri="https://evil.example/")
        )
        assert page.status == 400
        assert "Location" not in page.headers

    @pytest.mark.parametrize(
        "changes",
        [
            {"code_challenge_method": "plain"},
            {"code_challenge": ""},
            {"nonce": ""},
            {"scope": "profile"},
        ],
    )
    def test_it_sends_malformed_requests_back_with_an_error(self, provider, changes):
        page = Browser().open(authorize_url(provider, "v" * 43, **changes))
        assert page.status == 302
        assert "error=" in page.location and "state=st" in page.location

    def test_it_refuses_a_wrong_code_verifier(self, provider):
        verifier = secrets.token_urlsafe(48)
        status, answer = redeem(provider, code_for(provider, verifier), "another-verifier")
        assert (status, answer["error"]) == (400, "invalid_grant")

    def test_a_code_is_good_for_one_redemption(self, provider):
        verifier = secrets.token_urlsafe(48)
        code = code_for(provider, verifier)
        assert redeem(provider, code, verifier)[0] == 200
        assert redeem(provider, code, verifier) == (
            400,
            {"error": "invalid_grant", "error_description": "unknown, used or expired code"},
        )

    def test_it_refuses_a_wrong_redirect_uri_at_the_token_endpoint(self, provider):
        verifier = secrets.token_urlsafe(48)
        status, answer = redeem(
            provider, code_for(provider, verifier), verifier, redirect_uri="http://other/"
        )
        assert (status, answer["error"]) == (400, "invalid_grant")

    def test_it_refuses_a_wrong_client_secret(self, provider):
        verifier = secrets.token_urlsafe(48)
        status, answer = redeem(provider, code_for(provider, verifier), verifier, secret="wrong")
        assert (status, answer["error"]) == (401, "invalid_client")

    def test_it_refuses_userinfo_without_a_valid_token(self, provider):
        page = Browser().open(f"{provider.issuer}/userinfo")
        assert page.status == 401
