"""Officers' second factor: time-based one-time passwords (TOTP, RFC 6238, on HOTP, RFC 4226)
as authenticator apps compute them, and the sealing of the shared secret at rest."""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone's clock a little off, or a code typed just as it changed.
WINDOW_STEPS = 1
# 160 bits, the length RFC 4226 recommends for HMAC-SHA1.
SECRET_BYTES = 20


def secret_new() -> str:
    """A new random secret, in the unpadded base32 that authenticator apps take."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def secret_key(secret: str) -> bytes:
    """The bytes of a base32 secret, however it was grouped or padded."""
    text = secret.upper().replace(" ", "").rstrip("=")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """RFC 4226: the HMAC of the counter, dynamically truncated to `digits` decimal digits."""
    digest = hmac.new(key, struct.pack(">Q", counter), algorithm).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def step_at(instant: float) -> int:
    """The RFC 6238 time step (T) of a Unix time, with T0 = 0."""
    return int(instant // STEP_SECONDS)


def totp(key: bytes, *, at: float, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The code an authenticator app shows at `at` (Unix time)."""
    return hotp(key, step_at(at), digits=digits, algorithm=algorithm)


def code_step(secret: str, code: str, *, at: float, after: int = -1) -> int | None:
    """The time step, within one step of `at` and later than `after`, whose code this is.

    Refusing steps up to `after` (the last one accepted) is what stops a code from being used
    twice, and an older code after a newer one."""
    key = secret_key(secret)
    now = step_at(at)
    found = None
    for step in range(now - WINDOW_STEPS, now + WINDOW_STEPS + 1):
        # Every step is compared, in constant time, so the answer's timing says nothing.
        if hmac.compare_digest(hotp(key, step), code) and step > after and found is None:
            found = step
    return found


def otpauth_uri(*, secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI (Google Authenticator's key URI format) that a QR code carries."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def _sealer() -> MultiFernet:
    # Keyed by SECRET_KEY: a copy of the database alone does not give the secrets away. The
    # fallback keys still open what was sealed before a rotation.
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(
                        "motcua.accounts.second_factor", "seal", secret=key, algorithm="sha256"
                    ).digest()
                )
            )
            for key in keys
        ]
    )


def secret_seal(secret: str) -> str:
    """The secret encrypted and authenticated (Fernet) for storing."""
    return _sealer().encrypt(secret.encode()).decode()


def secret_open(sealed: str) -> str:
    """The secret a sealed value holds; ValueError when no current key opens it."""
    try:
        return _sealer().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "the second factor's secret cannot be opened with the current keys"
        ) from None
