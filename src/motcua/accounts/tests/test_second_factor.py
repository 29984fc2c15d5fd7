"""TOTP as authenticator apps compute it (RFC 4226 and RFC 6238 test vectors), and the sealing
of the shared secret."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from motcua.accounts import second_factor as totp

SHA1_SEED = b"12345678901234567890"
SHA256_SEED = b"12345678901234567890123456789012"
SHA512_SEED = b"1234567890" * 6 + b"1234"

# RFC 6238, Appendix B: Unix time → (SHA-1, SHA-256, SHA-512), 8 digits.
RFC6238_VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
# RFC 4226, Appendix D: counter 0..9, 6 digits, HMAC-SHA-1.
RFC4226_VECTORS = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238_VECTORS)
def test_it_computes_the_rfc_6238_test_vectors(at, sha1, sha256, sha512):
    assert totp.totp(SHA1_SEED, at=at, digits=8, algorithm="sha1") == sha1
    assert totp.totp(SHA256_SEED, at=at, digits=8, algorithm="sha256") == sha256
    assert totp.totp(SHA512_SEED, at=at, digits=8, algorithm="sha512") == sha512


def test_it_computes_the_rfc_4226_test_vectors():
    assert [totp.hotp(SHA1_SEED, counter) for counter in range(10)] == RFC4226_VECTORS


def test_a_new_secret_is_160_random_bits_in_base32():
    first, second = totp.secret_new(), totp.secret_new()
    assert first != second
    assert len(totp.secret_key(first)) == 20
    # Grouped and lower-cased as someone might type it back, it is the same key.
    grouped = " ".join(first[i : i + 4] for i in range(0, len(first), 4)).lower()
    assert totp.secret_key(grouped) == totp.secret_key(first)


class TestCodeStep:
    secret = base64.b32encode(SHA1_SEED).decode()

    def code(self, at: float) -> str:
        return totp.totp(SHA1_SEED, at=at)

    def test_it_accepts_the_current_code_and_one_step_either_side(self):
        at = 1111111111
        step = totp.step_at(at)
        for offset in (-1, 0, 1):
            moved = at + offset * totp.STEP_SECONDS
            assert totp.code_step(self.secret, self.code(moved), at=at) == step + offset

    def test_it_refuses_a_code_two_steps_away(self):
        at = 1111111111
        for offset in (-2, 2):
            moved = at + offset * totp.STEP_SECONDS
            assert totp.code_step(self.secret, self.code(moved), at=at) is None

    def test_it_refuses_a_code_whose_step_was_already_used(self):
        at = 1111111111
        step = totp.step_at(at)
        assert totp.code_step(self.secret, self.code(at), at=at, after=step) is None
        assert totp.code_step(self.secret, self.code(at - 30), at=at, after=step) is None
        # The next step's code is still good (the phone's clock is a little ahead).
        assert totp.code_step(self.secret, self.code(at + 30), at=at, after=step) == step + 1

    def test_it_refuses_what_is_not_a_code(self):
        assert totp.code_step(self.secret, "", at=59) is None
        assert totp.code_step(self.secret, "12345", at=59) is None


def test_the_uri_carries_the_secret_the_issuer_and_the_account():
    uri = totp.otpauth_uri(secret="JBSWY3DPEHPK3PXP", account="tiepnhan", issuer="Một cửa Huế")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Một cửa Huế:tiepnhan"
    query = parse_qs(parts.query)
    assert query["secret"] == ["JBSWY3DPEHPK3PXP"]
    assert query["issuer"] == ["Một cửa Huế"]
    assert (query["digits"], query["period"], query["algorithm"]) == (["6"], ["30"], ["SHA1"])


class TestSealing:
    def test_it_seals_the_secret_so_that_the_stored_value_does_not_show_it(self):
        secret = totp.secret_new()
        sealed = totp.secret_seal(secret)
        assert secret not in sealed
        assert totp.secret_open(sealed) == secret

    def test_a_rotated_secret_key_still_opens_what_the_fallback_sealed(self, settings):
        secret = totp.secret_new()
        sealed = totp.secret_seal(secret)
        old_key = settings.SECRET_KEY
        settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789"
        settings.SECRET_KEY_FALLBACKS = [old_key]
        assert totp.secret_open(sealed) == secret
        settings.SECRET_KEY_FALLBACKS = []
        with pytest.raises(ValueError):
            totp.secret_open(sealed)
