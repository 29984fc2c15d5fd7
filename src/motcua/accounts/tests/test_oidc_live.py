"""The whole OpenID Connect sign-in over real HTTP: a browser-like client, the site on Django's
live server, the fake provider on its own loopback port."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model

from motcua.accounts.fake_oidc_provider import FakeOidcProvider
from motcua.accounts.tests.conftest import Browser, choose_identity, provider_for

User = get_user_model()


@pytest.fixture
def live_provider(live_server: Any, settings: Any, request: Any) -> Any:
    options = getattr(request, "param", {})
    provider = provider_for(settings, live_server.url, **options)
    yield provider
    provider.stop()


def sign_in(browser: Browser, site: str, provider: FakeOidcProvider, subject: str) -> Any:
    # The login page offers the button; its link starts the flow.
    login = browser.open(f"{site}/dang-nhap/?next=/tai-khoan/")
    assert "Đăng nhập bằng VNeID" in login.text
    at_provider = browser.follow(f"{site}/dang-nhap/oidc/?next=/tai-khoan/", until=provider.issuer)
    assert at_provider.location.startswith(f"{provider.issuer}/authorize?")
    callback = choose_identity(browser, at_provider.location, subject)
    assert callback.startswith(f"{site}/dang-nhap/oidc/callback/?code=")
    return browser.follow(callback)


@pytest.mark.parametrize(
    "live_provider",
    [
        {},
        {"algorithm": "ES256", "auth_methods": ["client_secret_post"]},
    ],
    indirect=True,
    ids=["rs256-basic", "es256-post"],
)
def test_it_signs_a_citizen_in_through_the_provider(live_server, live_provider, transactional_db):
    browser = Browser()
    page = sign_in(browser, live_server.url, live_provider, "vneid-0003")
    assert page.status == 200
    assert page.url == f"{live_server.url}/tai-khoan/"
    assert "Nguyễn Thị Hồng Nhung" in page.text
    assert "Đã xác thực qua VNeID" in page.text
    user = User.objects.get(id_number="046190001234")
    assert user.is_citizen and user.id_number_verified


def test_it_refuses_a_token_signed_by_another_key(
    live_server, live_provider, transactional_db, caplog
):
    live_provider.tampering.foreign_key = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )
    page = sign_in(Browser(), live_server.url, live_provider, "vneid-0001")
    assert page.status == 400
    assert "Không xác minh được thông tin đăng nhập do VNeID gửi về" in page.text
    assert "(oidc_signature)" in caplog.text
    assert not User.objects.exists()
