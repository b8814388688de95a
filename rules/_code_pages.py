"""Folding through single-byte code pages: ``rules.text``'s fast path for most text.

Text that one code page holds is encoded, folded by a 256-byte table and decoded, all
C loops, several times faster than ``str.translate`` over the same text. The pages:
one made here for Arabic-script and Cyrillic text with ASCII (so that the two mixed
in one field, as bilingual feeds write them, are one page too), then the Windows
pages for Western and Turkish Latin, Greek, Cyrillic and Arabic. Text that mixes
pages is folded run by run. The tables are built from the folds ``rules.text``
gives, so the result is the same.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence
from encodings import cp1251, cp1252, cp1253, cp1254, cp1256
from functools import partial
from typing import NamedTuple

JOINED = 0x00  # the byte of a character that folds to nothing and joins its word
# The byte of a character whose fold the page lacks or that does not fold in place: it
# sends the text the general way. No character folds to it (control characters are
# separators), so its presence in a folded text says just that.
_NOT_IN_PLACE = 0x01
_SOFT_HYPHEN = "\u00ad"  # in every page, and folds to nothing: the joining stand-in
# Runs of text alternating between pages are folded as one piece each, up to this many;
# more (hostile text) take the general path, which is linear in the text's length.
_MOST_RUNS = 16
_ERRORS = "rules.code_pages.stand_in"
_SPACES = re.compile(b"  +")
_UNDEFINED = "\ufffe"  # a byte a page leaves undefined, as ``encodings`` tables write it


class Page(NamedTuple):
    """A single-byte code page: byte → character, and the C map back built from it."""

    decoding: str
    encoding: object

    @classmethod
    def of(cls, decoding: str) -> Page:
        return cls(decoding, codecs.charmap_build(decoding))

    def encode(self, text: str) -> bytes:
        return codecs.charmap_encode(text, _ERRORS, self.encoding)[0]  # type: ignore[arg-type]

    def decode(self, data: bytes) -> str:
        return codecs.charmap_decode(data, "strict", self.decoding)[0]


def _arabic_cyrillic() -> str:
    """The decoding table of the page made for Arabic-script and Cyrillic text: ASCII
    (but the rarer control characters), then these scripts' letters and marks and the
    punctuation their news writes. Characters left out fold through stand-ins (Persian
    digits as ASCII ones) or send the text to another page."""
    chars = [
        *map(chr, range(0x0410, 0x0450)), *"ЁёЄєІіЇїЎўҐґ",  # Russian, Ukrainian, Belarusian
        *map(chr, range(0x0621, 0x063B)), *map(chr, range(0x0640, 0x0653)), "\u0670",
        *"پچژکگی،؛؟", *map(chr, range(0x0660, 0x066A)),  # Arabic and Persian
        *"«»—–“”„…\u00a0\u00ad\u200c\u200d№−·¶",
    ]  # fmt: skip
    kept_controls = {0x00, 0x09, 0x0A, 0x0D}  # NUL (JOINED in folded text), tab, newlines
    free = [byte for byte in range(0x20) if byte not in kept_controls] + [0x7F]
    table = [chr(byte) for byte in range(0x80)] + [_UNDEFINED] * 0x80
    for byte, char in zip([*free, *range(0x80, 0x100)], chars, strict=True):
        table[byte] = char
    return "".join(table)


# In order of preference: a character goes to the first page holding it.
PAGES = tuple(map(Page.of, (_arabic_cyrillic(), cp1252.decoding_table, cp1254.decoding_table,
                            cp1253.decoding_table, cp1251.decoding_table,
                            cp1256.decoding_table)))  # fmt: skip


class CodePages:
    """The code-page tables for one set of folds: ``folds`` maps each code point that
    folds in place to its fold (one character, or "" for one that joins). ``kept``
    folds to itself in the tables for joined fields (it breaks fields, see
    ``rules.text.FIELD_BREAK``); every page must hold it."""

    def __init__(self, folds: Mapping[int, str], kept: str) -> None:
        self._tables = {page: _table(page, folds) for page in PAGES}
        self._joined_tables = {page: _keeping(table, page.encode(kept)[0])
                               for page, table in self._tables.items()}  # fmt: skip
        # The page of a text's run is the first page holding its first letter.
        owned = {char: page for page in reversed(PAGES) for char in page.decoding[0x80:]}
        stand_ins = {
            code: folded or _SOFT_HYPHEN
            for code, folded in folds.items()
            if not folded or folds.get(ord(folded)) == folded
        }
        # A character no page holds goes to its stand-in's page, if the stand-in has one.
        lent = {chr(code): owned[to] for code, to in stand_ins.items() if to in owned}
        self._page_of = {char: page for char, page in (lent | owned).items()
                         if folds.get(ord(char), " ").isalnum()}  # fmt: skip
        self._paged = re.compile(f"[{char_class(sorted(map(ord, self._page_of)))}]")
        codecs.register_error(_ERRORS, partial(_stand_in, stand_ins))

    def fold(self, text: str, *, joined: bool = False) -> tuple[str, bytes | str] | None:
        """``rules.text.fold`` of text these pages fold in place, or None; ``joined``:
        fields joined by ``kept``. The separated text is bytes unless a character joins
        (a combining mark, tatweel, ZWNJ: JOINED in it), else a str with NUL for them."""
        pieces = self.separate(text, joined=joined)
        if pieces is None:
            return None
        if len(pieces) > 1:
            return _fold_pieces(pieces)
        separated, page = pieces[0]
        if separated.find(JOINED) < 0:
            return page.decode(collapse(separated)), separated
        kept = separated.replace(b"\x00", b"")
        return page.decode(collapse(kept)), page.decode(separated)

    def separate(self, text: str, *, joined: bool = False) -> list[tuple[bytes, Page]] | None:
        """``text`` folded in place as bytes of code pages (separators as spaces, joining
        characters as JOINED), one piece per run of text that one page holds, each with
        its page; None when they cannot fold it so. ``joined``: ``kept`` stays."""
        tables = self._joined_tables if joined else self._tables
        pieces: list[tuple[bytes, Page]] = []
        start = 0
        while len(pieces) < _MOST_RUNS:
            page = self._page_at(text, start)
            try:
                encoded = page.encode(text[start:] if start else text)
            except UnicodeEncodeError as error:  # a character this page lacks: a new run
                if not error.start:
                    return None
                encoded = page.encode(text[start : start + error.start])
                start += error.start
            else:
                start = len(text)
            separated = encoded.translate(tables[page])
            if separated.find(_NOT_IN_PLACE) >= 0:
                return None
            pieces.append((separated, page))
            if start == len(text):
                return pieces
        return None

    def _page_at(self, text: str, start: int) -> Page:
        """The page of the first letter from ``start`` that a page holds (or lends to)."""
        found = self._paged.search(text, start)
        return self._page_of[found.group()] if found else PAGES[0]


def _fold_pieces(pieces: Sequence[tuple[bytes, Page]]) -> tuple[str, bytes | str]:
    """``CodePages.fold`` of text in runs of several pages: each run squeezed and
    decoded, then the spaces where two runs meet squeezed too."""
    joining = any(piece.find(JOINED) >= 0 for piece, _ in pieces)
    words = "".join(
        page.decode(squeeze(piece.replace(b"\x00", b"") if joining else piece))
        for piece, page in pieces
    )
    core = (words.replace("  ", " ") if "  " in words else words).strip(" ")
    folded = f" {core} " if core else " "
    if joining:
        return folded, "".join(page.decode(piece) for piece, page in pieces)
    return folded, b"".join(piece for piece, _ in pieces)


def collapse(separated: bytes) -> bytes:
    """``separated`` with runs of spaces as one, padded with one space each side."""
    return squeeze(b" " + separated + b" ")


def squeeze(separated: bytes) -> bytes:
    """``separated`` with runs of spaces as one. One regex pass: replacing double
    spaces takes two or three passes over news text (", " and " - " runs)."""
    return _SPACES.sub(b" ", separated)


def _keeping(table: bytes, byte: int) -> bytes:
    return table[:byte] + bytes([byte]) + table[byte + 1 :]


def char_class(codes: list[int]) -> str:
    """A regex character class body matching exactly ``codes`` (sorted), as ranges."""
    parts: list[str] = []
    first = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            parts.append(re.escape(chr(first)) + "-" + re.escape(chr(previous)))
            first = code
        previous = code
    return "".join(parts)


def _table(page: Page, folds: Mapping[int, str]) -> bytes:
    """Byte → the byte of its character's fold: a letter, a space, JOINED, or
    _NOT_IN_PLACE for a character that does not fold in place or whose fold the page
    lacks (and for bytes the page leaves undefined)."""
    table = bytearray([_NOT_IN_PLACE]) * 256
    for byte, char in enumerate(page.decoding):
        folded = folds.get(ord(char)) if char != _UNDEFINED else None
        if folded == "":
            table[byte] = JOINED
        elif folded is not None and folded in page.decoding:
            table[byte] = page.decoding.index(folded)
    return bytes(table)


def _stand_in(stand_ins: Mapping[int, str], error: UnicodeError) -> tuple[str, int]:
    """Encoding error handler: characters a code page lacks, as stand-ins that fold the
    same (Persian yeh as Arabic yeh, Arabic-Indic digits as ASCII ones, a joining mark
    as the soft hyphen); raises again when some character has none (or the page lacks
    the stand-in: the encoder then fails)."""
    if isinstance(error, UnicodeEncodeError):
        try:
            run = error.object[error.start : error.end]
            return "".join(stand_ins[ord(char)] for char in run), error.end
        except KeyError:
            pass
    raise error
