"""Folding through single-byte code pages: ``rules.text``'s fast path for text in one script.

Text that one Windows code page holds (Cyrillic, Arabic-script, Western or Turkish
Latin, Greek, each with ASCII: most news) is encoded, folded by a 256-byte table and
decoded, all C loops, several times faster than ``str.translate`` over the same text.
The tables are built from the folds ``rules.text`` gives, so the result is the same.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from functools import partial

PAGES = ("cp1251", "cp1256", "cp1252", "cp1254", "cp1253")
JOINED = 0x00  # the byte of a character that folds to nothing and joins its word
# The byte of a character whose fold the page lacks or that does not fold in place: it
# sends the text the general way. No character folds to it (control characters are
# separators), so its presence in a folded text says just that.
_NOT_IN_PLACE = 0x01
_SOFT_HYPHEN = "\u00ad"  # in every page, and folds to nothing: the joining stand-in
_NON_ASCII = re.compile("[^\x00-\x7f]")
_ERRORS = "rules.code_pages.stand_in"


class CodePages:
    """The code-page tables for one set of folds: ``folds`` maps each code point that
    folds in place to its fold (one character, or "" for one that joins)."""

    def __init__(self, folds: Mapping[int, str]) -> None:
        self._tables = {page: _table(page, folds) for page in PAGES}
        self._page_of = {  # by a text's first non-ASCII character: the first page with it
            char: page
            for page in reversed(PAGES)
            for char in bytes(range(128, 256)).decode(page, errors="ignore")
        }
        stand_ins = {
            code: folded or _SOFT_HYPHEN
            for code, folded in folds.items()
            if not folded or folds.get(ord(folded)) == folded
        }
        codecs.register_error(_ERRORS, partial(_stand_in, stand_ins))

    def separate(self, text: str) -> tuple[bytes, str] | None:
        """``text`` folded in place as bytes of a code page (separators as spaces, joining
        characters as JOINED), and that page; None when no page can fold it so."""
        first = _NON_ASCII.search(text)
        page = self._page_of.get(first.group()) if first else None
        if page is None:
            return None
        try:
            encoded = text.encode(page, _ERRORS)
        except UnicodeEncodeError:
            return None
        separated = encoded.translate(self._tables[page])
        return None if separated.find(_NOT_IN_PLACE) >= 0 else (separated, page)


def _table(page: str, folds: Mapping[int, str]) -> bytes:
    table = bytearray([_NOT_IN_PLACE]) * 256
    for byte in range(256):
        try:
            folded = folds.get(ord(bytes([byte]).decode(page)))
            if folded is not None:
                table[byte] = folded.encode(page)[0] if folded else JOINED
        except UnicodeError:  # a byte the page leaves undefined, or a fold it lacks
            continue
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
