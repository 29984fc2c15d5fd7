"""An OpenID Connect provider on this machine, as strict as a real one, for development and tests.

It speaks the authorization code flow with PKCE (S256 only): discovery, an authorization page
to pick one of a few test identities, the token endpoint (client secret, code verifier and
redirect URI checked; codes single-use and short-lived), the key set and userinfo. Tests start
it on 127.0.0.1, port 0, in a thread; a developer runs `manage.py fake_oidc_provider --port 8020`.
Never use it in production: anybody may pick any identity.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from motcua.lib.local_server import LocalHttpServer

CODE_TTL_SECONDS = 60
TOKEN_TTL_SECONDS = 300
ID_TOKEN_TTL_SECONDS = 300


@dataclass(frozen=True)
class Identity:
    """A person the provider can vouch for."""

    subject: str
    name: str
    id_number: str
    email: str = ""
    phone: str = ""


IDENTITIES = (
    # The demo's citizen "congdan", whose ID number the demo marks as verified.
    Identity("vneid-0001", "Nguyễn Văn An", "046090012345", "an.nguyen@example.vn", "0905111222"),
    Identity("vneid-0002", "Lê Thị Bình", "046190002222", phone="0914333444"),
    # The applicant of the counter dossiers in the demo and the dossier tests.
    Identity(
        "vneid-0003", "Nguyễn Thị Hồng Nhung", "046190001234", "nhung@example.vn", "0912345678"
    ),
)


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str
    challenge: str
    identity: Identity
    expires: float
    used: bool = False


@dataclass
class _AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    nonce: str
    challenge: str


@dataclass
class Tampering:
    """What tests make the provider get wrong, as a broken or malicious provider would."""

    claims: dict[str, Any] = field(default_factory=dict)
    # Sign the id token with a key the key set does not publish (under the published kid).
    foreign_key: Any = None
    # Sign with HMAC keyed by the client secret: what an attacker who knows it would do.
    hmac_with_secret: bool = False


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description


class FakeOidcProvider(LocalHttpServer):
    """One registered client; identities to pick from; keys made fresh at each start."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: Iterable[str],
        host: str = "127.0.0.1",
        port: int = 0,
        algorithm: str = "RS256",
        auth_methods: Iterable[str] = ("client_secret_basic", "client_secret_post"),
        id_number_claim: str = "citizen_id",
        identities: Iterable[Identity] = IDENTITIES,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris)
        self.algorithm = algorithm
        self.auth_methods = list(auth_methods)
        self.id_number_claim = id_number_claim
        self.identities = {identity.subject: identity for identity in identities}
        self.key = _new_key(algorithm)
        self.kid = secrets.token_hex(8)
        self.tampering = Tampering()
        self.verbose = False
        self.token_requests: list[dict[str, str]] = []
        self._requests: dict[str, _AuthorizationRequest] = {}
        self._grants: dict[str, _Grant] = {}
        self._tokens: dict[str, tuple[_Grant, float]] = {}
        self._lock = threading.Lock()
        self._listen(host, port, _handler_for(self))

    @property
    def issuer(self) -> str:
        return self.base_url

    # --- Documents -----------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.algorithm],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": self.auth_methods,
            "scopes_supported": ["openid", "profile", "email", "phone"],
            "claims_supported": [
                "sub",
                "name",
                "email",
                "email_verified",
                "phone_number",
                "phone_number_verified",
                self.id_number_claim,
            ],
        }

    def jwks(self) -> dict[str, Any]:
        converter = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        public = converter.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}]}

    # --- Authorization -------------------------------------------------------------------------

    def authorization_request(self, query: dict[str, str]) -> tuple[str, _AuthorizationRequest]:
        """Validate the request; its id for the page. Raises OAuthError(400) when the client or
        redirect URI is wrong (never redirect there), or ("redirect", …) errors for the client."""
        if query.get("client_id") != self.client_id:
            raise OAuthError(400, "invalid_client", "unknown client_id")
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            raise OAuthError(400, "invalid_request", "redirect_uri is not registered")
        request = _AuthorizationRequest(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scope=query.get("scope", ""),
            state=query.get("state", ""),
            nonce=query.get("nonce", ""),
            challenge=query.get("code_challenge", ""),
        )
        if query.get("response_type") != "code":
            raise _Redirect(request, "unsupported_response_type")
        if "openid" not in request.scope.split():
            raise _Redirect(request, "invalid_scope")
        if query.get("code_challenge_method") != "S256" or not 43 <= len(request.challenge) <= 128:
            raise _Redirect(request, "invalid_request", "PKCE with S256 is required")
        if not request.state or not request.nonce:
            raise _Redirect(request, "invalid_request", "state and nonce are required")
        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self._requests[request_id] = request
        return request_id, request

    def authorization_decide(self, request_id: str, subject: str) -> str:
        """Where the browser goes once the person picked an identity (or refused)."""
        with self._lock:
            request = self._requests.pop(request_id, None)
        if request is None:
            raise OAuthError(400, "invalid_request", "unknown or used authorization request")
        identity = self.identities.get(subject)
        if identity is None:
            return _redirect_url(request, {"error": "access_denied"})
        code = secrets.token_urlsafe(24)
        grant = _Grant(
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            challenge=request.challenge,
            identity=identity,
            expires=time.time() + CODE_TTL_SECONDS,
        )
        with self._lock:
            self._grants[code] = grant
        return _redirect_url(request, {"code": code, "iss": self.issuer})

    # --- Token ---------------------------------------------------------------------------------

    def token(self, *, authorization: str, form: dict[str, str]) -> dict[str, Any]:
        self.token_requests.append(dict(form))
        self._authenticate_client(authorization=authorization, form=form)
        if form.get("grant_type") != "authorization_code":
            raise OAuthError(400, "unsupported_grant_type")
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is None or grant.used or grant.expires < time.time():
                raise OAuthError(400, "invalid_grant", "unknown, used or expired code")
            # RFC 6749 §4.1.2: a code is good for one redemption.
            grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError(400, "invalid_grant", "redirect_uri differs from the authorization")
        if _s256(form.get("code_verifier", "")) != grant.challenge:
            raise OAuthError(400, "invalid_grant", "PKCE verification failed")
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = (grant, time.time() + TOKEN_TTL_SECONDS)
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_SECONDS,
            "scope": grant.scope,
            "id_token": self._id_token(grant),
        }

    def _authenticate_client(self, *, authorization: str, form: dict[str, str]) -> None:
        basic = authorization.startswith("Basic ")
        posted = "client_secret" in form
        if basic == posted:
            raise OAuthError(401, "invalid_client", "exactly one client authentication method")
        if basic:
            if "client_secret_basic" not in self.auth_methods:
                raise OAuthError(401, "invalid_client", "client_secret_basic not allowed")
            try:
                pair = base64.b64decode(authorization[6:], validate=True).decode()
            except ValueError:
                raise OAuthError(401, "invalid_client", "malformed Basic credentials") from None
            client_id, _colon, secret = pair.partition(":")
            client_id, secret = urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
        else:
            if "client_secret_post" not in self.auth_methods:
                raise OAuthError(401, "invalid_client", "client_secret_post not allowed")
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if client_id != self.client_id or not secrets.compare_digest(
            secret.encode(), self.client_secret.encode()
        ):
            raise OAuthError(401, "invalid_client", "wrong client credentials")

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.identity.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_TTL_SECONDS,
            "auth_time": now,
            "nonce": grant.nonce,
            "name": grant.identity.name,
            **self.tampering.claims,
        }
        headers = {"kid": self.kid}
        if self.tampering.hmac_with_secret:
            return jwt.encode(claims, self.client_secret, algorithm="HS256", headers=headers)
        key = self.tampering.foreign_key or self.key
        return jwt.encode(claims, key, algorithm=self.algorithm, headers=headers)

    # --- Userinfo ------------------------------------------------------------------------------

    def userinfo(self, *, authorization: str) -> dict[str, Any]:
        if not authorization.startswith("Bearer "):
            raise OAuthError(401, "invalid_token", "a Bearer token is required")
        with self._lock:
            found = self._tokens.get(authorization[7:])
        if found is None or found[1] < time.time():
            raise OAuthError(401, "invalid_token", "unknown or expired access token")
        grant = found[0]
        identity, scopes = grant.identity, grant.scope.split()
        claims: dict[str, Any] = {"sub": identity.subject, self.id_number_claim: identity.id_number}
        if "profile" in scopes:
            claims["name"] = identity.name
        if "email" in scopes and identity.email:
            claims.update(email=identity.email, email_verified=True)
        if "phone" in scopes and identity.phone:
            claims.update(phone_number=identity.phone, phone_number_verified=True)
        return claims


class _Redirect(Exception):
    """An error the provider reports to the client, by redirecting back to it."""

    def __init__(self, request: _AuthorizationRequest, error: str, description: str = "") -> None:
        super().__init__(error)
        params = {"error": error, **({"error_description": description} if description else {})}
        self.url = _redirect_url(request, params)


def _redirect_url(request: _AuthorizationRequest, params: dict[str, str]) -> str:
    if request.state:
        params = {**params, "state": request.state}
    separator = "&" if "?" in request.redirect_uri else "?"
    return f"{request.redirect_uri}{separator}{urllib.parse.urlencode(params)}"


def _new_key(algorithm: str) -> Any:
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unsupported algorithm {algorithm!r}")


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _choice_page(provider: FakeOidcProvider, request_id: str) -> str:
    buttons = "".join(
        f'<li><button type="submit" name="subject" value="{html.escape(identity.subject)}">'
        f"{html.escape(identity.name)} — {html.escape(identity.id_number)}</button></li>"
        for identity in provider.identities.values()
    )
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Nhà cung cấp định danh thử nghiệm</title></head><body>"
        "<h1>Nhà cung cấp định danh thử nghiệm</h1>"
        "<p>Chọn người để đăng nhập (chỉ dùng khi phát triển).</p>"
        f'<form method="post" action="/authorize">'
        f'<input type="hidden" name="request_id" value="{html.escape(request_id)}">'
        f'<ul>{buttons}</ul><button type="submit" name="subject" value="">Từ chối</button>'
        "</form></body></html>"
    )


def _handler_for(provider: FakeOidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _question, query = self.path.partition("?")
            params = dict(urllib.parse.parse_qsl(query))
            routes = {
                "/.well-known/openid-configuration": lambda: self._json(200, provider.discovery()),
                "/jwks": lambda: self._json(200, provider.jwks()),
                "/authorize": lambda: self._authorize(params),
                "/userinfo": self._userinfo,
            }
            routes.get(path, lambda: self._json(404, {"error": "not_found"}))()

        def do_POST(self) -> None:
            path = self.path.partition("?")[0]
            if path == "/token":
                self._token()
            elif path == "/authorize":
                self._decide()
            elif path == "/userinfo":
                self._userinfo()
            else:
                self._json(404, {"error": "not_found"})

        def _form(self) -> dict[str, str] | None:
            if self.headers.get_content_type() != "application/x-www-form-urlencoded":
                return None
            length = int(self.headers.get("Content-Length") or 0)
            return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

        def _authorize(self, params: dict[str, str]) -> None:
            try:
                request_id, _request = provider.authorization_request(params)
            except _Redirect as redirect:
                self._redirect(redirect.url)
            except OAuthError as error:
                self._page(error.status, f"<h1>{html.escape(error.error)}</h1>")
            else:
                self._page(200, _choice_page(provider, request_id))

        def _decide(self) -> None:
            form = self._form() or {}
            try:
                url = provider.authorization_decide(
                    form.get("request_id", ""), form.get("subject", "")
                )
            except OAuthError as error:
                self._page(error.status, f"<h1>{html.escape(error.error)}</h1>")
            else:
                self._redirect(url)

        def _token(self) -> None:
            form = self._form()
            if form is None:
                self._json(400, {"error": "invalid_request"})
                return
            try:
                answer = provider.token(
                    authorization=self.headers.get("Authorization", ""), form=form
                )
            except OAuthError as error:
                self._oauth_error(error)
            else:
                self._json(200, answer)

        def _userinfo(self) -> None:
            try:
                claims = provider.userinfo(authorization=self.headers.get("Authorization", ""))
            except OAuthError as error:
                self._oauth_error(error)
            else:
                self._json(200, claims)

        def _oauth_error(self, error: OAuthError) -> None:
            answer = {"error": error.error}
            if error.description:
                answer["error_description"] = error.description
            self._json(error.status, answer)

        def _json(self, status: int, answer: dict[str, Any]) -> None:
            body = json.dumps(answer, ensure_ascii=False).encode()
            self._send(status, "application/json; charset=utf-8", body)

        def _page(self, status: int, text: str) -> None:
            self._send(status, "text/html; charset=utf-8", text.encode())

        def _redirect(self, url: str) -> None:
            self.send_response(302)
            self.send_header("Location", url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            if provider.verbose:
                super().log_message(format, *args)

    return Handler
