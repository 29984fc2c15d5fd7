"""An OpenID Connect relying party: authorization code flow with PKCE, for any standard provider.

The administrator configures the issuer, client id and secret (VNeID is one such provider). The
endpoints come from the issuer's discovery document; the id token is checked against the
provider's published keys. Every failure is an `OidcError` with a message for the citizen, and
a `code` (logged with the technical reason) for whoever investigates.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from motcua.core.errors import DomainError

logger = logging.getLogger(__name__)

SESSION_KEY = "oidc_login"
# The id token's signature algorithms we accept; "none" and HMAC (keyed with the client secret,
# which this server also knows) never.
ALLOWED_ALGORITHMS = ("RS256", "ES256")
HTTP_TIMEOUT = 10
DISCOVERY_TTL = 3600
JWKS_TTL = 3600
# A token signed with a key we do not know makes us fetch the keys again, at most this often.
JWKS_REFRESH_INTERVAL = 300
# Clock skew allowed between the provider and this server.
LEEWAY_SECONDS = 60
# How long the citizen may stay at the provider before the callback.
FLOW_TTL_SECONDS = 600
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class OidcError(DomainError):
    status = 400
    code = "oidc_failed"


@dataclass(frozen=True)
class Provider:
    """The configured provider, from settings."""

    issuer: str
    client_id: str
    client_secret: str
    name: str


def provider() -> Provider | None:
    """The provider the administrator configured, or None (then there is no OIDC button)."""
    if not settings.MOTCUA_OIDC_ISSUER:
        return None
    return Provider(
        issuer=settings.MOTCUA_OIDC_ISSUER.rstrip("/"),
        client_id=settings.MOTCUA_OIDC_CLIENT_ID,
        client_secret=settings.MOTCUA_OIDC_CLIENT_SECRET,
        name=settings.MOTCUA_OIDC_PROVIDER_NAME,
    )


def _configured() -> Provider:
    found = provider()
    if found is None or not found.client_id:
        raise OidcError(
            _("Chưa cấu hình đăng nhập bằng nhà cung cấp định danh."), code="oidc_not_configured"
        )
    return found


def _fail(code: str, reason: str, message: str | None = None) -> OidcError:
    logger.warning("OIDC sign-in refused (%s): %s", code, reason)
    name = settings.MOTCUA_OIDC_PROVIDER_NAME
    text = message or _(
        "Không xác minh được thông tin đăng nhập do %(provider)s gửi về. Vui lòng thử lại."
    ) % {"provider": name}
    return OidcError(text, code=code, extra={"reason": reason})


def _unreachable(reason: str) -> OidcError:
    return _fail(
        "oidc_unreachable",
        reason,
        _("Không kết nối được với %(provider)s. Vui lòng thử lại sau hoặc đăng nhập bằng mật khẩu.")
        % {"provider": settings.MOTCUA_OIDC_PROVIDER_NAME},
    )


# ---------------------------------------------------------------------------------------------
# HTTP


def _check_url(url: str) -> str:
    # HTTPS everywhere, except a provider on this machine (development and tests).
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return url
    raise _unreachable(f"not an https URL: {url!r}")


def _http_json(
    url: str, *, data: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """GET (or POST a form to) a URL; its status and JSON object. 4xx answers are returned."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(_check_url(url), data=body, method="POST" if body else "GET")
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            status, raw = error.code, error.read()
        if status >= 500:
            raise _unreachable(f"{url} answered HTTP {status}") from error
    except (OSError, ValueError) as error:
        raise _unreachable(f"{url}: {error}") from error
    try:
        answer = json.loads(raw)
    except ValueError:
        raise _unreachable(f"{url} answered HTTP {status} without JSON") from None
    if not isinstance(answer, dict):
        raise _unreachable(f"{url} answered HTTP {status} with {type(answer).__name__}")
    return status, answer


def _cache_key(kind: str, url: str) -> str:
    return f"oidc:{kind}:{hashlib.sha256(url.encode()).hexdigest()}"


# ---------------------------------------------------------------------------------------------
# Discovery and keys


REQUIRED_METADATA = ("authorization_endpoint", "token_endpoint", "jwks_uri")


def discovery(issuer: str) -> dict[str, Any]:
    """The provider's metadata from {issuer}/.well-known/openid-configuration, cached."""
    key = _cache_key("discovery", issuer)
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    status, document = _http_json(f"{issuer}/.well-known/openid-configuration")
    if status != 200:
        raise _unreachable(f"discovery answered HTTP {status}")
    # OpenID Connect Discovery §4.3: the document must name exactly the issuer we asked.
    if document.get("issuer") != issuer:
        raise _unreachable(f"discovery names issuer {document.get('issuer')!r}, not {issuer!r}")
    missing = [name for name in REQUIRED_METADATA if not document.get(name)]
    if missing:
        raise _unreachable(f"discovery lacks {', '.join(missing)}")
    if "code" not in document.get("response_types_supported", ["code"]):
        raise _unreachable("the provider does not offer the authorization code flow")
    cache.set(key, document, timeout=DISCOVERY_TTL)
    return document


def _jwks(uri: str, *, refresh: bool = False) -> list[dict[str, Any]]:
    key = _cache_key("jwks", uri)
    cached = None if refresh else cache.get(key)
    if cached is not None:
        return list(cached)
    status, document = _http_json(uri)
    keys = document.get("keys")
    if status != 200 or not isinstance(keys, list):
        raise _unreachable(f"the key set at {uri} answered HTTP {status} without keys")
    cache.set(key, keys, timeout=JWKS_TTL)
    return keys


def _matching_key(keys: list[dict[str, Any]], *, kid: str | None, alg: str) -> jwt.PyJWK | None:
    for data in keys:
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        if kid is not None and data.get("kid") != kid:
            continue
        if data.get("alg", alg) != alg:
            continue
        try:
            return jwt.PyJWK(data, algorithm=alg)
        # A malformed or foreign key among good ones is skipped, as PyJWKSet does.
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            continue
    return None


def _signing_key(uri: str, *, kid: str | None, alg: str) -> jwt.PyJWK:
    found = _matching_key(_jwks(uri), kid=kid, alg=alg)
    # Providers rotate keys: an unknown kid may be a new key, so fetch once more (rarely).
    if found is None and cache.add(_cache_key("jwks-refresh", uri), 1, JWKS_REFRESH_INTERVAL):
        found = _matching_key(_jwks(uri, refresh=True), kid=kid, alg=alg)
    if found is None:
        raise _fail("oidc_signature", f"no {alg} key with kid {kid!r} in {uri}")
    return found


# ---------------------------------------------------------------------------------------------
# The flow


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _scope(document: Mapping[str, Any]) -> str:
    supported = document.get("scopes_supported")
    wanted = ["openid", "profile", "email", "phone"]
    if isinstance(supported, list):
        wanted = [scope for scope in wanted if scope == "openid" or scope in supported]
    return " ".join(wanted)


def authorization_start(
    *, session: MutableMapping[str, Any], redirect_uri: str, next_url: str = ""
) -> str:
    """The provider's authorization URL; state, nonce and PKCE verifier wait in the session."""
    config = _configured()
    document = discovery(config.issuer)
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise _unreachable("the provider does not support PKCE with S256")
    flow = {
        "issuer": config.issuer,
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),
        "redirect_uri": redirect_uri,
        "next": next_url,
        "started": int(time.time()),
    }
    session[SESSION_KEY] = flow
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "scope": _scope(document),
            "state": flow["state"],
            "nonce": flow["nonce"],
            "code_challenge": _s256(str(flow["verifier"])),
            "code_challenge_method": "S256",
        }
    )
    endpoint = _check_url(document["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


@dataclass(frozen=True)
class Outcome:
    """What the callback established: the verified claims and where the citizen was going."""

    issuer: str
    claims: dict[str, Any]
    next_url: str


def authorization_finish(
    *, session: MutableMapping[str, Any], params: Mapping[str, str]
) -> Outcome:
    """Check the callback against the session, redeem the code, verify the id token."""
    config = _configured()
    flow = _take_flow(session, params=params, issuer=config.issuer)
    _refuse_provider_error(params)
    code = params.get("code", "")
    if not code:
        raise _fail("oidc_code_missing", "the callback carries no code")
    document = discovery(config.issuer)
    tokens = _redeem(config, document, code=code, flow=flow)
    claims = _verify_id_token(config, document, token=str(tokens["id_token"]), nonce=flow["nonce"])
    access_token = tokens.get("access_token")
    if document.get("userinfo_endpoint") and access_token:
        claims = {**claims, **_userinfo(document, str(access_token), subject=claims["sub"])}
    return Outcome(issuer=config.issuer, claims=claims, next_url=str(flow.get("next", "")))


def _take_flow(
    session: MutableMapping[str, Any], *, params: Mapping[str, str], issuer: str
) -> dict[str, Any]:
    # Taken out of the session whatever happens next: a callback is good for one try.
    flow = session.pop(SESSION_KEY, None)
    message = _(
        "Phiên đăng nhập bằng %(provider)s không hợp lệ hoặc đã hết hạn. Vui lòng thử lại."
    ) % {"provider": settings.MOTCUA_OIDC_PROVIDER_NAME}
    if not isinstance(flow, dict):
        raise _fail("oidc_state", "no sign-in under way in this session", message)
    if not constant_time_compare(str(flow.get("state", "")), params.get("state", "")):
        raise _fail("oidc_state", "the state does not match the session's", message)
    if flow.get("issuer") != issuer:
        raise _fail("oidc_state", "the provider changed during the sign-in", message)
    if int(flow.get("started", 0)) + FLOW_TTL_SECONDS < time.time():
        raise _fail("oidc_state", "the sign-in started too long ago", message)
    # RFC 9207: a provider that names itself in the callback must name the one we asked.
    if "iss" in params and params["iss"] != issuer:
        raise _fail("oidc_issuer", f"the callback comes from {params['iss']!r}", message)
    return flow


def _refuse_provider_error(params: Mapping[str, str]) -> None:
    error = params.get("error")
    if not error:
        return
    name = settings.MOTCUA_OIDC_PROVIDER_NAME
    if error == "access_denied":
        message = _("Bạn đã hủy đăng nhập bằng %(provider)s.") % {"provider": name}
    else:
        message = _("%(provider)s không cho phép đăng nhập (%(error)s). Vui lòng thử lại.") % {
            "provider": name,
            "error": error[:60],
        }
    raise _fail("oidc_denied", f"{error}: {params.get('error_description', '')}", message)


def _client_authentication(
    config: Provider, document: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Form fields and headers that authenticate us at the token endpoint."""
    # Without the metadata, the spec's default is client_secret_basic.
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        # RFC 6749 §2.3.1: both parts are form-urlencoded before the base64.
        pair = ":".join(
            urllib.parse.quote(part, safe="") for part in (config.client_id, config.client_secret)
        )
        basic = base64.b64encode(pair.encode()).decode("ascii")
        return {}, {"Authorization": f"Basic {basic}"}
    if "client_secret_post" in methods:
        return {"client_id": config.client_id, "client_secret": config.client_secret}, {}
    raise _unreachable(f"no client authentication method we support among {methods!r}")


def _redeem(
    config: Provider, document: Mapping[str, Any], *, code: str, flow: Mapping[str, Any]
) -> dict[str, Any]:
    fields, headers = _client_authentication(config, document)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": str(flow["redirect_uri"]),
        "code_verifier": str(flow["verifier"]),
        **fields,
    }
    status, answer = _http_json(document["token_endpoint"], data=form, headers=headers)
    if status != 200:
        raise _fail(
            "oidc_token",
            f"token endpoint HTTP {status}: {answer.get('error')} "
            f"{answer.get('error_description', '')}",
            _("%(provider)s không chấp nhận yêu cầu đăng nhập. Vui lòng thử lại.")
            % {"provider": config.name},
        )
    if not answer.get("id_token"):
        raise _fail("oidc_token", "the token response has no id_token")
    if answer.get("access_token") and str(answer.get("token_type", "")).lower() != "bearer":
        raise _fail("oidc_token", f"token type {answer.get('token_type')!r} is not Bearer")
    return answer


_JWT_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "oidc_expired"),
    (jwt.ImmatureSignatureError, "oidc_expired"),
    (jwt.InvalidAudienceError, "oidc_audience"),
    (jwt.InvalidIssuerError, "oidc_issuer"),
    (jwt.InvalidSignatureError, "oidc_signature"),
)


def _verify_id_token(
    config: Provider, document: Mapping[str, Any], *, token: str, nonce: str
) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise _fail("oidc_token", f"unreadable id token: {error}") from error
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise _fail("oidc_algorithm", f"id token signed with {alg!r}")
    key = _signing_key(str(document["jwks_uri"]), kid=header.get("kid"), alg=str(alg))
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[str(alg)],
            audience=config.client_id,
            issuer=config.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.PyJWTError as error:
        code = next((code for kind, code in _JWT_REASONS if isinstance(error, kind)), "oidc_token")
        raise _fail(code, f"id token refused: {error!r}") from error
    # Core §3.1.3.7: with several audiences, the authorized party must be us.
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != config.client_id:
        raise _fail("oidc_audience", f"authorized party {claims.get('azp')!r}")
    if not constant_time_compare(str(claims.get("nonce", "")), nonce):
        raise _fail("oidc_nonce", "the id token's nonce is not the session's")
    return claims


def _userinfo(document: Mapping[str, Any], access_token: str, *, subject: str) -> dict[str, Any]:
    status, claims = _http_json(
        document["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
    )
    if status != 200:
        raise _fail("oidc_userinfo", f"userinfo answered HTTP {status}")
    # Core §5.3.2: userinfo about somebody else must not be used.
    if claims.get("sub") != subject:
        raise _fail("oidc_userinfo", "userinfo is about another subject")
    return claims
