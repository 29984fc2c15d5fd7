"""Vietnamese identity numbers."""

from __future__ import annotations

import re

# Digits are ASCII digits: \d alone also matches other scripts' (Arabic-Indic, fullwidth…).
# The citizen identity card (CCCD) and the personal identification number are 12 digits; the
# first three are the province code of birth registration (001–096).
_CCCD = re.compile(r"^\d{12}$", re.ASCII)
# Enterprise / tax codes are 10 digits, or 10 digits + "-" + 3 for branches.
_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$", re.ASCII)


def is_valid_citizen_id(value: str) -> bool:
    return bool(_CCCD.match(value)) and 1 <= int(value[:3]) <= 96


def is_valid_tax_code(value: str) -> bool:
    return bool(_TAX_CODE.match(value))
