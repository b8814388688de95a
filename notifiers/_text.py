"""Text hygiene shared by the notifiers: every feed field is attacker-controlled.

Each channel still escapes for its own syntax (Slack mrkdwn, HTML, JSON); this
module only removes what no channel should ever pass on: terminal escape
sequences, control characters, bidi overrides and lone surrogates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

Piece = tuple[str, bool]  # a piece of an excerpt, and whether it is a matched term

# 7-bit CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings and
# short escapes (ESC c, ESC 7, ESC ( B ...), removed whole so their parameters cannot
# leak as text either; the short form comes last so it never pre-empts the others.
# 8-bit C1 controls are only replaced like any control character: they turn up in
# mojibake, and swallowing "the rest of the string" after one would eat headlines.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b(?:[ -/]*[0-~])?"
)
# Bidi embedding/override/isolate marks can make a title read differently from what it says.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKING = frozenset(("Cc", "Zl", "Zp"))
_MAX_LINK_LENGTH = 2048


def _scrub(text: str) -> str:
    """Drop escape sequences and bidi marks, replace lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(ch for ch in text if ch not in _BIDI_CONTROLS)


def truncate(text: str, limit: int) -> str:
    """Cap ``text`` at ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def inline(text: str) -> str:
    """Safe text for inside a line: control characters and line breaks become spaces
    (not collapsed, nothing stripped, so pieces of one line can be cleaned apart)."""
    return "".join(" " if unicodedata.category(ch) in _LINE_BREAKING else ch for ch in _scrub(text))


def single_line(text: str, limit: int) -> str:
    """One safe line: control characters and line breaks become single spaces."""
    return truncate(" ".join(inline(text).split()), limit)


def excerpt_pieces(text: str, marks: Sequence[tuple[int, int]], limit: int) -> list[Piece]:
    """An excerpt as (piece, marked) pairs, each piece safe inside a line, at most
    ``limit`` characters of the excerpt (``valid_marks`` of it marked)."""
    text = truncate(text, limit)
    pieces: list[Piece] = []
    position = 0
    for start, end in valid_marks(text, marks):
        pieces += [(inline(text[position:start]), False), (inline(text[start:end]), True)]
        position = end
    pieces.append((inline(text[position:]), False))
    return [(piece, marked) for piece, marked in pieces if piece]


def valid_marks(text: str, marks: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The marks that fit ``text``, in order: those out of order, overlapping, empty or
    past its end are dropped (like the text, they may come from a third-party caller)."""
    kept: list[tuple[int, int]] = []
    for start, end in marks:
        if (kept[-1][1] if kept else 0) <= start < end <= len(text):
            kept.append((start, end))
    return kept


def multi_line(text: str, limit: int) -> str:
    """Safe paragraph text: keeps newlines and tabs, drops every other control character."""
    kept = (ch for ch in _scrub(text) if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return truncate("".join(kept).strip(), limit)


def safe_link(link: str) -> str | None:
    """``link`` if it is a plain absolute http(s) URL, else None (javascript:, data:, ...)."""
    link = link.strip()
    if not link or len(link) > _MAX_LINK_LENGTH:
        return None
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return link
