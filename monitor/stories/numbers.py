"""Numbers of a headline as values, whatever script and separators wrote them.

"3,5 %", "3.5%" and "٣٫٥" are one number, 3.5; "1,200" (English), "1.200" (German),
"1 200" (French) and "١٬٢٠٠" are 1200. Folding (``rules.text``) turns every separator
into a space, which splits "1,200" into "1" and "200" and makes "1,200" and "1,300"
share a number; so numbers are read from the text before it is folded
(docs/decisions/0041-story-gates.md).

A run of digits joined by one kind of separator is read as thousands groups when every
group after the first has three digits and the separator is not the language's decimal
mark used once ("1,200" is 1200 in English and 1.2 in German); as a decimal when it has
one separator, a decimal mark ("." or "," or "٫"); otherwise each group is its own number
(a date "12.05.2024"), as before. A space groups thousands only in the languages that
write it so (French, Spanish, German, Russian, Ukrainian): in English "kills 3 200" is
not read as 3200.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# \d matches digits of every script; separators: . , ٫ (Arabic decimal) ٬ (Arabic
# thousands) ' ’ (Swiss) and the spaces typesetters put between thousands.
_RUN = re.compile(r"\d+(?:[.,\u066b\u066c'’\u00a0\u202f\u2009 ]\d+)*")
_SEPARATOR = re.compile(r"[.,\u066b\u066c'’\u00a0\u202f\u2009 ]")
_GROUPED = re.compile(r"\d[.,\u066b\u066c'’\u00a0\u202f\u2009 ]\d")  # a run worth reading
_SPACES = frozenset("\u00a0\u202f\u2009 ")
_ALWAYS_THOUSANDS = frozenset("\u066c'’")
_DECIMAL_MARKS = frozenset(".,\u066b")
_SPACE_GROUPING = frozenset({"fr", "es", "de", "ru", "uk"})
_POINT_DECIMAL = frozenset({"", "en"})  # the point is the decimal mark; else the comma


def decimal_mark(language: str) -> str:
    """The separator ``language`` writes before decimals ("." in English, "," in most
    others; Arabic and Persian write "٫", which is never anything else)."""
    return "." if language in _POINT_DECIMAL else ","


def _ascii(digits: str) -> str:
    """Digits of any script as ASCII, leading zeros kept (as folding keeps them)."""
    return digits if digits.isascii() else "".join(str(unicodedata.decimal(c)) for c in digits)


def _groups_thousands(groups: list[str], separators: set[str], language: str) -> bool:
    if len(separators) != 1 or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
        return False
    (separator,) = separators
    if separator in _ALWAYS_THOUSANDS:
        return True
    if separator in _SPACES:
        return language in _SPACE_GROUPING
    return separator != "\u066b" and (len(groups) > 2 or separator != decimal_mark(language))


def read_run(run: str, language: str = "") -> tuple[str, ...]:
    """The values of one run of digits and separators, normalised: "1200", "3.5"."""
    groups = [_ascii(group) for group in _SEPARATOR.split(run)]
    separators = set(_SEPARATOR.findall(run))
    if len(groups) == 1:
        return (groups[0],)
    if _groups_thousands(groups, separators, language):
        return ("".join(groups),)
    if len(groups) == 2 and separators <= _DECIMAL_MARKS:
        fraction = groups[1].rstrip("0")
        return (f"{groups[0]}.{fraction}" if fraction else groups[0],)
    return tuple(groups)


def read_numbers(text: str, language: str = "") -> frozenset[str]:
    """Every number of ``text`` (unfolded) as a normalised value."""
    return frozenset(value for run in _RUN.findall(text) for value in read_run(run, language))


def with_whole_parts(values: frozenset[str]) -> frozenset[str]:
    """The values and the whole part of each decimal: reports round ("$2.1 million" /
    "$2 million", "down 0.07%" / "down 0.28%"), so for telling numbers apart a decimal
    also counts as its whole part, as it did when folding split it in two."""
    wholes = {value.partition(".")[0] for value in values if "." in value}
    return values | wholes if wholes else values


def numbers_conflict(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """Both sides hold numbers and share none."""
    return bool(mine) and bool(theirs) and not mine & theirs


def join_thousands(text: str, language: str = "") -> str:
    """``text`` with thousands written as one run of digits ("1,200 dead" → "1200 dead"),
    so that folding keeps it one word, as casualty counts are read from folded words."""

    def joined(match: re.Match[str]) -> str:
        run = match.group()
        values = read_run(run, language)
        return values[0] if len(values) == 1 and "." not in values[0] else run

    return _RUN.sub(joined, text) if _GROUPED.search(text) else text


@lru_cache(maxsize=4096)
def shared_numbers(values: frozenset[str]) -> frozenset[str]:
    """One object for each set of numbers the window's articles hold: many hold the same
    few ({"2"}, {"2014"}), and a set of one is 216 bytes (an indexed article keeps a
    reference, not a set of its own, as a snapshot's load gives it)."""
    return values
