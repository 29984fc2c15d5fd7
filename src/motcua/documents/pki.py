"""Certificates and keys of the agencies that sign results, as PEM files under MOTCUA_PKI_DIR.

Layout: ``ca.pem`` (the certificates trusted to issue agency certificates),
``units/<unit code>.pem`` (the agency's certificate, then any intermediates) and
``units/<unit code>.key`` (its private key, mode 0600). With MOTCUA_SIGNING_DEMO_PKI a demo CA
(``ca.key`` beside ``ca.pem``) issues any missing or stale agency certificate on the fly; without
it the files must have been installed, and a missing one is a clear configuration error.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.agencies.models import Unit
from motcua.core.errors import DomainError

DEMO_CA_NAME = "motcua demo CA — KHÔNG dùng thật"
CA_VALIDITY = timedelta(days=3650)
UNIT_VALIDITY = timedelta(days=825)
# A demo certificate this close to its end is replaced before it signs anything.
RENEW_BEFORE = timedelta(days=30)
# Demo certificates start a year back, so that demo data and tests set in the recent past
# (time-machine) still find them valid.
BACKDATE = timedelta(days=366)
# The demo CA's key is EC; one an administrator put in its place may be RSA.
IssuerKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
# X.509's upper bound for a name attribute (RFC 5280 ub-common-name and friends).
NAME_LIMIT = 64


class SigningNotConfigured(DomainError):
    """The server lacks the certificate or key it needs: an administrator must install them."""

    status = 503
    code = "signing_not_configured"


@dataclass(frozen=True)
class UnitCredentialPaths:
    certificate: Path
    key: Path


def pki_dir() -> Path:
    return Path(settings.MOTCUA_PKI_DIR)


def ca_certificate_path() -> Path:
    return pki_dir() / "ca.pem"


def unit_credential_paths(*, unit_code: str) -> UnitCredentialPaths:
    """Where an agency's certificate and key are expected (the code made safe as a file name)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", unit_code).lstrip(".") or "_"
    folder = pki_dir() / "units"
    return UnitCredentialPaths(certificate=folder / f"{safe}.pem", key=folder / f"{safe}.key")


def unit_certificate_ensure(*, unit: Unit) -> UnitCredentialPaths:
    """The agency's certificate and key, issued by the demo CA when missing (demo PKI only)."""
    paths = unit_credential_paths(unit_code=unit.code)
    if not settings.MOTCUA_SIGNING_DEMO_PKI:
        _read(paths.certificate)
        _read(paths.key)
        return paths
    if _demo_unit_is_current(paths, unit):
        return paths
    with _pki_lock():
        # Another process may have issued it while this one waited for the lock.
        ca_cert, ca_key = _demo_ca_ensure_locked()
        if not _demo_unit_is_current(paths, unit):
            _demo_unit_issue(paths, unit, ca_cert, ca_key)
    return paths


def demo_ca_ensure() -> Path:
    """Create the demo CA when it is missing; return the path of its certificate."""
    with _pki_lock():
        _demo_ca_ensure_locked()
    return ca_certificate_path()


def unit_signer(*, unit: Unit) -> SimpleSigner:
    """A pyHanko signer holding the agency's key, its certificate and the chain above it."""
    paths = unit_certificate_ensure(unit=unit)
    # A demo certificate being renewed is replaced after its key: read the pair under the lock.
    demo = settings.MOTCUA_SIGNING_DEMO_PKI
    with _pki_lock(shared=True) if demo else contextlib.nullcontext():
        cert_data, key_data = _read(paths.certificate), _read(paths.key)
    try:
        certificates = list(load_certs_from_pemder_data(cert_data))
        key = load_private_key_from_pemder_data(key_data, passphrase=None)
        matching = _same_public_key(cert_data, key_data)
    except (ValueError, TypeError) as error:
        raise _not_configured(paths.certificate, str(error)) from error
    if not certificates or not matching:
        raise _not_configured(paths.key, _("khóa bí mật không khớp với chứng thư số"))
    registry = SimpleCertificateStore.from_certs(certificates[1:] + trust_roots())
    return SimpleSigner(signing_cert=certificates[0], signing_key=key, cert_registry=registry)


def trust_roots() -> list[asn1_x509.Certificate]:
    """The certificates trusted to issue agency certificates (ca.pem), for validation."""
    path = ca_certificate_path()
    if settings.MOTCUA_SIGNING_DEMO_PKI and not path.exists():
        demo_ca_ensure()
    try:
        roots = list(load_certs_from_pemder_data(_read(path)))
    except (ValueError, TypeError) as error:
        raise _not_configured(path, str(error)) from error
    if not roots:
        raise _not_configured(path, _("tệp không chứa chứng thư số nào"))
    return roots


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise SigningNotConfigured(
            _(
                "Chưa cài đặt chứng thư số để ký kết quả: không tìm thấy tệp %(path)s. Quản trị "
                "viên cần đặt tệp này vào thư mục MOTCUA_PKI_DIR."
            )
            % {"path": path}
        )
    try:
        return path.read_bytes()
    except OSError as error:
        raise _not_configured(path, error.strerror or str(error)) from error


def _not_configured(path: Path, reason: str) -> SigningNotConfigured:
    return SigningNotConfigured(
        _("Tệp chứng thư số %(path)s không dùng được (%(reason)s).")
        % {"path": path, "reason": reason}
    )


def _same_public_key(cert_data: bytes, key_data: bytes) -> bool:
    cert = x509.load_pem_x509_certificate(cert_data)
    key = serialization.load_pem_private_key(key_data, password=None)
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)


# ---------------------------------------------------------------------------------------------
# The demo CA and the certificates it issues


@contextlib.contextmanager
def _pki_lock(*, shared: bool = False) -> Iterator[None]:
    # Two processes (web workers, a test worker and the demo command) may create the same files
    # at once; an exclusive lock on one file serialises them, and os.replace keeps readers from
    # ever seeing a half-written file.
    folder = pki_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _demo_ca_ensure_locked() -> tuple[x509.Certificate, IssuerKey]:
    cert_path, key_path = ca_certificate_path(), pki_dir() / "ca.key"
    if cert_path.exists():
        # Certificates of a CA whose key is not here cannot be issued; never overwrite its
        # certificate, which may be one an administrator installed.
        try:
            cert = x509.load_pem_x509_certificate(_read(cert_path))
            key = serialization.load_pem_private_key(_read(key_path), password=None)
        except (ValueError, TypeError) as error:
            raise _not_configured(cert_path, str(error)) from error
        if not isinstance(key, IssuerKey):
            raise _not_configured(key_path, _("loại khóa không dùng để cấp chứng thư được"))
        if not _expiring(cert):
            return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            _attribute(NameOID.COMMON_NAME, DEMO_CA_NAME),
            _attribute(NameOID.ORGANIZATION_NAME, settings.MOTCUA_PROVINCE_NAME),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        _builder(name, name, key.public_key(), now, now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    # The key first: whoever sees the certificate can count on the key being there.
    _write_atomically(key_path, _key_pem(key), mode=0o600)
    _write_atomically(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert, key


def _demo_unit_issue(
    paths: UnitCredentialPaths,
    unit: Unit,
    ca_cert: x509.Certificate,
    ca_key: IssuerKey,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        _builder(ca_cert.subject, _unit_name(unit), key.public_key(), now, now + UNIT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_atomically(paths.key, _key_pem(key), mode=0o600)
    _write_atomically(paths.certificate, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _demo_unit_is_current(paths: UnitCredentialPaths, unit: Unit) -> bool:
    """Present, issued by the current demo CA, not expiring, and naming the agency as it is now."""
    ca_path = ca_certificate_path()
    if not (paths.certificate.exists() and paths.key.exists() and ca_path.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
        ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        # Unreadable, or issued by a CA since replaced: the demo issues it again.
        return False
    with warnings.catch_warnings():
        # Reading back a name longer than 64 UTF-8 bytes warns again (see _attribute).
        warnings.filterwarnings("ignore", message="Attribute's length", category=UserWarning)
        same_name = cert.subject == _unit_name(unit)
    return same_name and not _expiring(cert)


def _unit_name(unit: Unit) -> x509.Name:
    return x509.Name(
        [
            _attribute(NameOID.COMMON_NAME, unit.name),
            _attribute(NameOID.SERIAL_NUMBER, unit.code),
            _attribute(NameOID.ORGANIZATION_NAME, settings.MOTCUA_PROVINCE_NAME),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )


def _builder(
    issuer: x509.Name,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    start: datetime,
    end: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer)
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - BACKDATE)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(**granted: bool) -> x509.KeyUsage:
    flags = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ]
    return x509.KeyUsage(**{flag: granted.get(flag, False) for flag in flags})


def _expiring(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc - RENEW_BEFORE < datetime.now(UTC)


def _attribute(oid: x509.ObjectIdentifier, text: str) -> x509.NameAttribute:
    text = " ".join(text.split())
    if len(text) > NAME_LIMIT:
        text = text[: NAME_LIMIT - 1] + "…"
    # RFC 5280 bounds a name at 64 characters; cryptography counts UTF-8 bytes instead (and
    # warns even when told not to refuse), which would cut Vietnamese names (two or three bytes
    # a letter) in half.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Attribute's length", category=UserWarning)
        return x509.NameAttribute(oid, text, _validate=False)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file readable by its owner only, so a key is never exposed.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
