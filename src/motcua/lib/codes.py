"""Dossier codes and lookup secrets."""

from __future__ import annotations

import secrets
from datetime import date

# No 0/O, 1/I/L: the secret is read off paper and typed on a phone.
SECRET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SECRET_LENGTH = 8

_PLACEHOLDERS = ("unit", "yymmdd", "yyyy", "mm", "dd", "seq")


def format_dossier_code(
    *, pattern: str, unit_code: str, day: date, seq: int, seq_width: int = 4
) -> str:
    """Fill the configured pattern, e.g. "{unit}-{yymmdd}-{seq}" → "000.00.01.H57-260414-0002"."""
    return pattern.format(
        unit=unit_code,
        yymmdd=day.strftime("%y%m%d"),
        yyyy=f"{day.year:04d}",
        mm=f"{day.month:02d}",
        dd=f"{day.day:02d}",
        seq=f"{seq:0{seq_width}d}",
    )


def validate_code_pattern(pattern: str) -> None:
    """Refuse a pattern that could repeat a code: it must contain {unit}, a date and {seq}."""
    if "{seq}" not in pattern or "{unit}" not in pattern:
        raise ValueError("The dossier code pattern must contain {unit} and {seq}")
    if "{yymmdd}" not in pattern and not all(p in pattern for p in ("{yyyy}", "{mm}", "{dd}")):
        raise ValueError(
            "The dossier code pattern must contain the day: {yymmdd} or {yyyy}{mm}{dd}"
        )
    pattern.format(**dict.fromkeys(_PLACEHOLDERS, ""))


def new_lookup_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def normalise_secret(text: str) -> str:
    return text.strip().upper().replace(" ", "").replace("-", "")
