"""Sign-in through the fake provider over real HTTP; our pages through Django's test client."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.urls import reverse

from motcua.accounts.models import ExternalIdentity
from motcua.accounts.tests.conftest import Browser, choose_identity, provider_for
from motcua.accounts.tests.helpers import citizen_create, citizen_verified_create
from motcua.audit.models import Event

User = get_user_model()
AN = "vneid-0001"  # Nguyễn Văn An, 046090012345, an.nguyen@example.vn, 0905111222
BINH = "vneid-0002"  # Lê Thị Bình, 046190002222, phone only


def begin(client: Any, next_url: str = "/tai-khoan/") -> str:
    response = client.get(reverse("portal:oidc_login"), {"next": next_url})
    assert response.status_code == 302, response.content
    return response["Location"]


def come_back(client: Any, callback_url: str) -> Any:
    parts = urllib.parse.urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver"
    return client.get(parts.path, dict(urllib.parse.parse_qsl(parts.query)))


def sign_in(client: Any, subject: str = AN) -> Any:
    return come_back(client, choose_identity(Browser(), begin(client), subject))


def signed_in_user(client: Any) -> Any:
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
class TestOidcSignIn:
    def test_it_sends_the_citizen_to_the_provider_with_state_nonce_and_pkce(
        self, client, oidc_provider
    ):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(begin(client)).query))
        assert query["response_type"] == "code"
        assert query["redirect_uri"] == "http://testserver/dang-nhap/oidc/callback/"
        assert query["code_challenge_method"] == "S256"
        assert query["scope"] == "openid profile email phone"
        flow = client.session["oidc_login"]
        assert (query["state"], query["nonce"]) == (flow["state"], flow["nonce"])
        assert flow["verifier"] not in query.values()

    def test_it_creates_a_verified_citizen_from_the_claims(self, client, oidc_provider):
        response = sign_in(client)
        assert response.status_code == 302
        assert response["Location"] == "/tai-khoan/"
        user = User.objects.get(pk=signed_in_user(client))
        assert user.is_citizen and user.is_active
        assert (user.full_name, user.id_number) == ("Nguyễn Văn An", "046090012345")
        assert user.id_number_verified
        assert (user.email, user.phone) == ("an.nguyen@example.vn", "0905111222")
        assert not user.has_usable_password()
        identity = ExternalIdentity.objects.get(user=user)
        assert (identity.issuer, identity.subject) == (oidc_provider.issuer, AN)
        assert Event.objects.filter(kind="account.signed_up", actor=user).exists()

    def test_it_authenticates_with_client_secret_basic_and_proves_pkce(self, client, oidc_provider):
        sign_in(client)
        (redeemed,) = oidc_provider.token_requests
        assert "client_secret" not in redeemed
        assert len(redeemed["code_verifier"]) >= 43

    def test_the_same_person_gets_the_same_account_next_time(self, client, oidc_provider):
        sign_in(client)
        client.post(reverse("portal:logout"))
        sign_in(client)
        assert User.objects.filter(is_citizen=True).count() == 1
        assert ExternalIdentity.objects.count() == 1

    def test_it_links_the_account_already_verified_under_the_id_number(self, client, oidc_provider):
        known = citizen_verified_create(subject="elsewhere", id_number="046090012345")
        sign_in(client)
        assert signed_in_user(client) == str(known.pk)
        assert ExternalIdentity.objects.filter(user=known).count() == 2

    def test_it_links_a_self_declared_account_when_the_provider_vouches_for_its_email(
        self, client, oidc_provider
    ):
        mine = citizen_create(contact="an.nguyen@example.vn", id_number="046090012345")
        sign_in(client)
        mine.refresh_from_db()
        assert signed_in_user(client) == str(mine.pk)
        assert mine.id_number_verified
        assert Event.objects.filter(kind="account.identity_linked", actor=mine).exists()

    def test_a_self_declared_id_number_alone_does_not_hand_over_the_account(
        self, client, oidc_provider
    ):
        # Somebody typed Bình's ID number with their own email; Bình signs in with the provider.
        squatter = citizen_create(contact="gia.mao@example.vn", id_number="046190002222")
        sign_in(client, BINH)
        binh = User.objects.get(pk=signed_in_user(client))
        assert binh != squatter
        assert binh.id_number_verified and binh.phone == "0914333444"
        squatter.refresh_from_db()
        assert not squatter.id_number_verified

    def test_it_does_not_take_another_accounts_email(self, client, oidc_provider):
        citizen_create(contact="an.nguyen@example.vn", id_number="046099005555")
        sign_in(client)
        user = User.objects.get(pk=signed_in_user(client))
        assert (user.email, user.phone) == ("", "0905111222")

    def test_the_citizen_may_refuse_at_the_provider(self, client, oidc_provider):
        response = sign_in(client, subject="")
        assert response.status_code == 400
        assert "Bạn đã hủy đăng nhập bằng VNeID." in response.content.decode()
        assert signed_in_user(client) is None

    def test_it_needs_the_id_number_claim(self, client, oidc_provider, settings):
        settings.MOTCUA_OIDC_ID_NUMBER_CLAIM = "so_dinh_danh"
        response = sign_in(client)
        assert response.status_code == 400
        assert "không cung cấp số định danh cá nhân hợp lệ" in response.content.decode()
        assert not User.objects.exists()


@pytest.mark.django_db
class TestOidcRefusals:
    """Each of these ends on the sign-in page with a message, never a 500, and nobody signed in."""

    def refused(self, response: Any, caplog: Any, code: str, text: str) -> None:
        assert response.status_code == 400
        assert text in response.content.decode()
        assert f"({code})" in caplog.text
        assert response.context["error"]
        assert signed_in_user(response.client) is None
        assert not User.objects.exists()

    def test_a_wrong_state(self, client, oidc_provider, caplog):
        callback = choose_identity(Browser(), begin(client), AN)
        forged = callback.replace("state=", "state=x")
        self.refused(
            come_back(client, forged), caplog, "oidc_state", "không hợp lệ hoặc đã hết hạn"
        )

    def test_a_callback_in_another_session(self, client, oidc_provider, caplog):
        callback = choose_identity(Browser(), begin(client), AN)
        other = type(client)()
        response = come_back(other, callback)
        assert response.status_code == 400
        assert "(oidc_state)" in caplog.text

    def test_a_replayed_callback(self, client, oidc_provider, caplog):
        callback = choose_identity(Browser(), begin(client), AN)
        come_back(client, callback)
        client.post(reverse("portal:logout"))
        response = come_back(client, callback)
        assert response.status_code == 400
        assert "(oidc_state)" in caplog.text

    def test_a_wrong_nonce(self, client, oidc_provider, caplog):
        oidc_provider.tampering.claims = {"nonce": "not-the-one-we-sent"}
        self.refused(sign_in(client), caplog, "oidc_nonce", "Không xác minh được thông tin")

    def test_a_token_signed_by_another_key(self, client, oidc_provider, caplog):
        oidc_provider.tampering.foreign_key = rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )
        self.refused(sign_in(client), caplog, "oidc_signature", "Không xác minh được thông tin")

    def test_a_token_signed_with_the_client_secret(self, client, oidc_provider, caplog):
        oidc_provider.tampering.hmac_with_secret = True
        self.refused(sign_in(client), caplog, "oidc_algorithm", "Không xác minh được thông tin")

    def test_a_token_for_another_client(self, client, oidc_provider, caplog):
        oidc_provider.tampering.claims = {"aud": "another-client"}
        self.refused(sign_in(client), caplog, "oidc_audience", "Không xác minh được thông tin")

    def test_a_token_for_several_clients_without_us_as_authorized_party(
        self, client, oidc_provider, caplog
    ):
        oidc_provider.tampering.claims = {"aud": ["motcua-test", "other"], "azp": "other"}
        self.refused(sign_in(client), caplog, "oidc_audience", "Không xác minh được thông tin")

    def test_an_expired_token(self, client, oidc_provider, caplog):
        past = int(time.time()) - 3600
        oidc_provider.tampering.claims = {"iat": past - 300, "exp": past}
        self.refused(sign_in(client), caplog, "oidc_expired", "Không xác minh được thông tin")

    def test_a_token_from_another_issuer(self, client, oidc_provider, caplog):
        oidc_provider.tampering.claims = {"iss": "https://evil.example"}
        self.refused(sign_in(client), caplog, "oidc_issuer", "Không xác minh được thông tin")

    def test_a_wrong_client_secret(self, client, oidc_provider, caplog, settings):
        settings.MOTCUA_OIDC_CLIENT_SECRET = "wrong"
        self.refused(sign_in(client), caplog, "oidc_token", "VNeID không chấp nhận yêu cầu")

    def test_a_provider_that_does_not_answer(self, client, oidc_provider, caplog):
        oidc_provider.stop()
        response = client.get(reverse("portal:oidc_login"))
        assert response.status_code == 400
        assert "Không kết nối được với VNeID" in response.content.decode()
        assert "(oidc_unreachable)" in caplog.text

    def test_a_discovery_document_naming_another_issuer(self, client, settings, caplog):
        provider = provider_for(settings, "http://testserver")
        try:
            settings.MOTCUA_OIDC_ISSUER = provider.issuer.replace("127.0.0.1", "localhost")
            response = client.get(reverse("portal:oidc_login"))
        finally:
            provider.stop()
        assert response.status_code == 400
        assert "(oidc_unreachable)" in caplog.text

    def test_no_button_and_no_flow_without_configuration(self, client, settings):
        settings.MOTCUA_OIDC_ISSUER = ""
        assert "Đăng nhập bằng VNeID" not in client.get(reverse("portal:login")).content.decode()
        assert client.get(reverse("portal:oidc_login")).status_code == 404
