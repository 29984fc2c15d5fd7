"""Text helpers for Vietnamese: diacritics-insensitive folding for search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, drop diacritics (đ → d), collapse spaces: "Nguyễn Văn A" → "nguyen van a"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def search_terms(query: str) -> list[str]:
    """The folded words of a query; a row matches when it contains every one of them."""
    return [term for term in fold(query).split(" ") if term]
