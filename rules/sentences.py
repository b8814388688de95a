"""Sentence boundaries good enough for "same sentence" proximity in news text.

A sentence ends at a line break, or at ``.``, ``!``, ``?`` or ``…`` (with any closing
quotes or brackets) followed by white space and a capital letter, digit or opening
quote, unless the word before the full stop is a known abbreviation ("Mr.", "Gen.",
"U.S.") or a single capital initial ("J. Smith"). Ideographic full stops always end
one. It errs towards longer sentences: a missed boundary only lets two clauses
count as one, never splits a clause.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_END = re.compile(
    r"(?P<stop>[.!?\u2026]+)[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]*[^\W_a-z])"
    r"|\n\s*"
    r"|[\u3002\uff01\uff1f]\s*"
)
_WORD_BEFORE = re.compile(r"([\w.]+)$")
# Lower-cased, without their final full stop. Titles, ranks, months, common Latin.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sen rep gov gen lt col maj capt cpt sgt cpl adm cmdr brig pres
    st ave blvd mt ft no nos vol vs etc approx est dept univ inc ltd corp co jr sr
    jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.m p.m""".split()
)


def sentence_starts(text: str) -> list[int]:
    """Offsets where sentences begin: always 0, then one per boundary found."""
    starts = [0]
    for found in _END.finditer(text):
        if found.group("stop") and _is_abbreviation(text, found.start()):
            continue
        if found.end() < len(text):
            starts.append(found.end())
    return starts


def sentence_index(starts: list[int], offset: int) -> int:
    """Which sentence (0-based) the character at ``offset`` belongs to."""
    return bisect_right(starts, offset) - 1


def _is_abbreviation(text: str, stop: int) -> bool:
    before = _WORD_BEFORE.search(text, max(0, stop - 40), stop)
    if before is None:
        return False
    word = before.group(1)
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    return word.lower().rstrip(".") in _ABBREVIATIONS
