"""The numbers gate of the semantic bench: two headlines that both carry numbers must
share one. Digits of any script are read as ASCII ones, decimal commas as points and
thousands separators dropped, so "6,1", "6.1" and "۶.۱" are one number, as are
"200,000", "200.000" and "200 000"."""

from __future__ import annotations

import re
import unicodedata

# Thousands grouped by point, comma or space ("200,000", "200.000", "200 000"); one or
# two digits after a point or comma are decimals ("6,1" is "6.1").
_NUMBER = re.compile(r"(\d{1,3}(?:[.,\u00a0\u202f ]\d{3}(?!\d))+|\d+)(?:[.,](\d{1,2})(?!\d))?")
_SEPARATORS = re.compile(r"[.,\u00a0\u202f ]")


def numbers_in(title: str) -> frozenset[str]:
    """The headline's numbers, any script's digits read as ASCII ones."""
    digits = "".join(str(unicodedata.decimal(char, char)) for char in title)
    return frozenset(
        _SEPARATORS.sub("", whole) + (f".{decimals}" if decimals else "")
        for whole, decimals in _NUMBER.findall(digits)
    )


def numbers_agree(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    return not (mine and theirs) or bool(mine & theirs)
