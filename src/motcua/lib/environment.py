"""Typed readers for settings that come from environment variables; a bad value fails loudly."""

from __future__ import annotations

import os
from pathlib import Path


class ConfigurationError(ValueError):
    pass


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_secret(name: str, default: str) -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (for container secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


# Django's own deploy check (security.W009) asks for this much of a secret key.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def require_strong_secret(name: str, value: str, *, development_default: str) -> None:
    """Refuse to start with the development default, or a key too weak to sign sessions."""
    if value == development_default:
        raise ConfigurationError(
            f"{name} is still the development default: set a random key of at least "
            f"{SECRET_KEY_MIN_LENGTH} characters (or {name}_FILE), e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`"
        )
    if (
        len(value) < SECRET_KEY_MIN_LENGTH
        or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or value.startswith("django-insecure-")
    ):
        raise ConfigurationError(
            f"{name} is too weak: it needs at least {SECRET_KEY_MIN_LENGTH} random characters"
        )


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(
    url: str, *, base_dir: Path, server_side_binding: bool = True
) -> dict[str, object]:
    """Turn ``sqlite:///path`` or ``postgres://user:pass@host:port/name`` into a DATABASES entry."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as in dj-database-url.
        raw_path = url.removeprefix("sqlite://").removeprefix("/")
        name = Path(raw_path) if raw_path else base_dir / "var" / "motcua.sqlite3"
        if not name.is_absolute():
            name = base_dir / name
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(name),
            # IMMEDIATE takes the write lock at BEGIN, so two intakes never deadlock upgrading
            # a read lock; WAL lets lookups read while an intake writes.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so threads in tests share it; per process, so parallel runs
            # on one checkout do not collide.
            "TEST": {"NAME": str(base_dir / "var" / f"test-{os.getpid()}.sqlite3")},
        }
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "motcua",
            "USER": unquote(parts.username or "postgres"),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": str(parts.port or 5432),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # Server-side binding lets psycopg prepare statements a connection repeats, which
            # spares PostgreSQL the planning of the hot lookups (most of their cost). Turn it off
            # behind PgBouncer in transaction mode, which cannot keep prepared statements.
            "OPTIONS": {"server_side_binding": server_side_binding},
        }
    raise ConfigurationError(f"DATABASE_URL scheme {parts.scheme!r} is not supported")
