"""One normalisation for both rule terms and article text.

Text becomes a list of word tokens, each folded (NFKC, case folding, no
diacritics) and carrying its offsets into the ORIGINAL text, so a hit can be
shown where the user will see it. Anything that is not a letter or digit
separates words: hyphens, dashes, quotes, punctuation, spaces. A possessive
``'s`` is dropped, so "Iran's" is the token "iran".

Combining marks and invisible format characters (soft hyphen, zero-width
joiners and non-joiners) join rather than split, so "Ir<soft hyphen>an" still
reads "iran" and the Persian "می<ZWNJ>خواهد" is one word. Letters a script writes
several ways (Arabic hamza forms, Persian and Arabic yeh and kaf, Turkish dotless
i, Arabic-Indic digits...) are folded to one form: see ``rules._scripts``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import AnyStr

from rules._code_pages import CodePages, char_class, collapse
from rules._scripts import SCRIPT_FOLD

# Runs of anything but ASCII punctuation and whitespace; an all-ASCII run is
# already a single word, which keeps the common case off the slow path.
_RUN = re.compile(r"[^\s\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
# Mapped before NFKC, which would keep U+02BC (a letter) inside the word.
_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "ʼ": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
    }
)
# Byte map for the ASCII fast path: letters lowered, digits and apostrophes kept, the rest
# a space. It must agree with ``tokenise`` on every ASCII text (tests check it does).
_ASCII_FOLD = (
    bytes(
        char + 32 if 0x41 <= char <= 0x5A else char if chr(char).isalnum() or char == 0x27 else 0x20
        for char in range(128)
    )
    + b" " * 128
)
# Joins the fields of an article in one folded text (" title words \xb6 summary words "),
# so that one automaton pass reads them all. No key holds it (folding makes it a space),
# so no hit spans two fields; and plain ASCII fields cannot hold it.
FIELD_BREAK = "\xb6"
JOINER = f" {FIELD_BREAK} "
_BREAK = ord(FIELD_BREAK)
_JOINED_FOLD = _ASCII_FOLD[:_BREAK] + bytes([_BREAK]) + _ASCII_FOLD[_BREAK + 1 :]
# Common non-ASCII punctuation that ``tokenise`` treats exactly like its ASCII stand-in.
_TYPOGRAPHIC = (
    ("\u2019", "'"),  # right single quote, the usual curly apostrophe
    ("\u2018", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u2013", "-"),  # en dash
    ("\u2014", "-"),  # em dash
    ("\u00a0", " "),  # no-break space
    ("\u2026", "."),  # ellipsis
    ("\u2212", "-"),  # minus sign, which Russian news writes in figures
)
# A character that typographic substitution leaves outside ASCII.
_BEYOND_TYPOGRAPHIC = re.compile(
    "[^\x00-\x7f" + "".join(typographic for typographic, _ in _TYPOGRAPHIC) + "]"
)
_JOINING = frozenset({"Mn", "Me", "Cf"})  # dropped without splitting the word
_SEPARATOR = " "
WILDCARD = "*"
MIN_PREFIX = 3  # "de*" would match half the dictionary


@dataclass(frozen=True, slots=True)
class Token:
    """A normalised word and where it stands in the original text."""

    text: str
    start: int
    end: int


def tokenise(text: str) -> list[Token]:
    """The normalised words of ``text`` with their offsets into it."""
    tokens: list[Token] = []
    for run in _RUN.finditer(text):
        if run.group().isascii():
            tokens.append(Token(run.group().lower(), run.start(), run.end()))
        else:
            tokens.extend(_tokenise_unicode(run.group(), run.start()))
    return _drop_possessives(text, tokens)


def normalise(text: str) -> str:
    """``text`` as its normalised words joined by single spaces."""
    return " ".join(token.text for token in tokenise(text))


# Text folded for matching: " w1 w2 ... wn ", the words exactly as ``tokenise`` has them,
# and, when positions map back without tokenising, the separated text: every character
# folded, separators as spaces, of the original's length; the folded text is that with
# runs of spaces collapsed. Bytes, one a character, where every character folds to a
# letter or a space (plain ASCII without apostrophes, most text a code page holds: hits
# located by counting letters, ``rules.field.locate``); a str, joining marks as NUL,
# for other text whose characters fold in place (hits located by word, ``word_spans``).
# A plain tuple: made for every field.
Folded = tuple[str, bytes | str | None]


def fold(text: str) -> Folded:
    """Fold ``text`` for matching; the padding spaces let " w " match whole words only.

    This is the hot path of matching, so plain ASCII (after 1:1 typographic
    substitutions) is folded by C-level byte operations, and so is most other text
    (through code pages, ``rules._code_pages``); the rest goes through a table.
    """
    if not text.isascii():
        if _BEYOND_TYPOGRAPHIC.search(text):
            return _fold_unicode(text)  # the substitutions fold alike: no need of them
        text = _typographic_to_ascii(text)
    return _fold_separated(text.encode("ascii").translate(_ASCII_FOLD))


def fold_joined(joined: str, texts: Sequence[str]) -> Folded | None:
    """The ``fold`` of each of ``texts``, joined by FIELD_BREAK, in one pass.

    ``joined`` is the texts joined by JOINER; so is the separated text returned, so
    that each text's own is a slice. None when some text holds FIELD_BREAK or takes
    the general path of ``fold`` (characters code pages cannot fold in place, such as
    apostrophes outside plain ASCII): fold them one by one.
    """
    if not all(map(str.isascii, texts)):
        other = any(map(_BEYOND_TYPOGRAPHIC.search, texts))
        plain = None if other else list(map(_typographic_to_ascii, texts))
        if plain is None or not all(map(str.isascii, plain)):
            if joined.count(FIELD_BREAK) >= len(texts):
                return None
            return _CODE_PAGES.fold(joined, joined=True)
        joined = JOINER.join(plain)
    return _fold_separated(joined.encode("latin-1").translate(_JOINED_FOLD))


def _fold_separated(separated: bytes) -> tuple[str, bytes | None]:
    """The folded text of separated bytes (letters, digits, apostrophes, field breaks,
    the rest spaces); the bytes too, unless apostrophes make words move."""
    if separated.find(b"'") >= 0:
        words = _split_apostrophes(separated.split(), b"'")
        return (" " + b" ".join(words).decode("latin-1") + " " if words else " "), None
    return collapse(separated).decode("latin-1"), separated


def term_tokens(term: str) -> tuple[str, ...]:
    """The words a term must match, in order; empty when it has no letters or digits.

    A trailing ``*`` (prefix wildcard) is not a word: "deploy*" gives ("deploy",).
    """
    return tuple(token.text for token in tokenise(term))


@dataclass(frozen=True, slots=True)
class TermPattern:
    """A term as the matcher sees it: its words, the last one a prefix when ``prefix``."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def key(self) -> str:
        """The automaton key: " w1 w2 " (whole words), or " w1 w2" for a prefix."""
        return " " + " ".join(self.words) + ("" if self.prefix else " ")


def term_pattern(term: str) -> TermPattern:
    """The pattern of a term; ``*`` at its end makes the last word a prefix."""
    stripped = term.strip()
    prefix = stripped.endswith(WILDCARD)
    return TermPattern(term_tokens(stripped), prefix)


def wildcard_problem(term: str) -> str | None:
    """Why a term's ``*`` is not a valid prefix wildcard, or None when it is (or has none)."""
    stripped = term.strip()
    if WILDCARD not in stripped:
        return None
    example = f"e.g. {'deploy*'!r} or {'air strike*'!r}"
    if stripped.count(WILDCARD) > 1 or not stripped.endswith(WILDCARD):
        return f"{term!r}: '*' may only end a term, once ({example})"
    before = stripped[:-1]
    if not before or not _fold_char(before[-1]).strip():
        return f"{term!r}: '*' must follow a letter or digit ({example})"
    words = term_tokens(before)
    if words and len(words[-1]) < MIN_PREFIX:
        return f"{term!r}: a prefix needs at least {MIN_PREFIX} letters before '*'"
    return None


def _typographic_to_ascii(text: str) -> str:
    """Curly quotes, dashes and odd spaces as their ASCII stand-ins, one char for one."""
    for typographic, ascii_char in _TYPOGRAPHIC:
        if typographic in text:
            text = text.replace(typographic, ascii_char)
    return text


def _fold_unicode(text: str) -> Folded:
    """The folded words of non-ASCII text: ``_fold_char`` on every character (through a
    translation table), apostrophes kept to find possessives, then split as the ASCII
    path does. With the separated text too when every character folds to at most one."""
    by_page = _CODE_PAGES.fold(text)
    if by_page is not None:
        return by_page
    if _IRREGULAR.search(text) is None:
        separated = text.translate(_KEEPING_PLACE)
        kept = separated.replace(_JOINED, "") if _JOINED in separated else separated
        return _padded(kept.split()), separated
    folded = text.translate(_FOLD_TABLE if _UNCOVERED.search(text) else _PREFILLED)
    words = folded.split()
    if "'" in folded:
        words = _split_apostrophes(words, "'")
    return _padded(words), None


def word_spans(separated: str) -> list[tuple[int, int]]:
    """Where each word of a str ``Folded`` separated text stands: its words are the
    folded text's, in order, at the original's offsets. A word starts at a letter and
    takes in the joining characters within and after it, as ``tokenise`` has it."""
    return [match.span() for match in _WORD.finditer(separated)]


def _padded(words: list[str]) -> str:
    core = " ".join(words)
    return f" {core} " if core else " "


def _folded_for_table(code: int) -> str:
    """What ``str.translate`` must give for ``code``: its fold, or "'" for an apostrophe
    (kept so that possessives are found)."""
    char = chr(code)
    return "'" if _is_apostrophe(char) else _fold_char(char)


class _FoldTable(dict[int, str]):
    """Code point → its folded form, for ``str.translate``; filled on first sight, bounded
    so that hostile text cannot grow it without limit."""

    def __missing__(self, code: int) -> str:
        folded = _folded_for_table(code)
        if len(self) < _FOLD_TABLE_LIMIT:
            self[code] = folded
        return folded


_S = ("s", b"s")  # the possessive's s, as str and as bytes
_FOLD_TABLE_LIMIT = 65_536
_FOLD_TABLE = _FoldTable()


def _split_apostrophes(words: list[AnyStr], quote: AnyStr) -> list[AnyStr]:
    """Split words on apostrophes, dropping a possessive "s" as ``tokenise`` does.

    "Iran's" gives "Iran"; "O'Brien" gives "O", "Brien", as ``tokenise`` splits it.
    """
    result: list[AnyStr] = []
    for word in words:
        if quote not in word:
            result.append(word)
            continue
        previous_kept = False
        for index, part in enumerate(word.split(quote)):
            if part in _S and index > 0 and previous_kept:
                previous_kept = False  # "Iran's": the s is dropped, the next 's is not possessive
            elif part:
                result.append(part)
                previous_kept = True
            else:
                previous_kept = False
    return result


def _tokenise_unicode(run: str, offset: int) -> list[Token]:
    tokens: list[Token] = []
    word: list[str] = []
    start = end = 0
    for index, char in enumerate(run, start=offset):
        folded = _fold_char(char)
        if not folded and word:
            end = index + 1  # a joining mark belongs to the word it follows
        for part in folded:
            if part != _SEPARATOR:
                start = start if word else index
                end = index + 1
                word.append(part)
            elif word:
                tokens.append(Token("".join(word), start, end))
                word.clear()
    if word:
        tokens.append(Token("".join(word), start, end))
    return tokens


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """``char`` folded to word characters, with separators as spaces ('' if it joins)."""
    compatible = unicodedata.normalize("NFKC", char.translate(_QUOTES)).casefold()
    compatible = compatible.translate(SCRIPT_FOLD)
    return "".join(map(_classify, unicodedata.normalize("NFKD", compatible)))


def _classify(char: str) -> str:
    category = unicodedata.category(char)
    if category in _JOINING:
        return ""
    return char if char.isalnum() or category == "Mc" else _SEPARATOR


def _drop_possessives(text: str, tokens: list[Token]) -> list[Token]:
    kept: list[Token] = []
    for token in tokens:
        if not (token.text == "s" and kept and _is_possessive(text, kept[-1], token)):
            kept.append(token)
    return kept


def _is_possessive(text: str, previous: Token, token: Token) -> bool:
    """True for the ``s`` of "Iran's": one apostrophe between it and the word before
    (invisible joining characters aside)."""
    between = [char for char in text[previous.end : token.start] if _fold_char(char)]
    return len(between) == 1 and _is_apostrophe(between[0])


def _is_apostrophe(char: str) -> bool:
    return unicodedata.normalize("NFKC", char.translate(_QUOTES)) == "'"


# The blocks news is mostly written in (ASCII, Latin-1 and Extended, combining marks,
# Greek, Cyrillic, Arabic, punctuation and the zero-width characters, symbols, Arabic
# presentation forms), folded once at import into a plain dict: ``str.translate``
# reads a plain dict about a third faster than one with ``__missing__``. Text with
# other characters is translated by the lazy ``_FOLD_TABLE``; the folds are the same.
_BLOCKS = ((0x0000, 0x0780), (0x2000, 0x2300), (0x3000, 0x3040), (0xFB00, 0xFE00),
           (0xFE20, 0xFF00))  # fmt: skip
_PREFILLED = {code: _folded_for_table(code) for low, high in _BLOCKS for code in range(low, high)}
_UNCOVERED = re.compile(f"[^{char_class(sorted(_PREFILLED))}]")
# Stands in the separated text for a character that folds to nothing (a joining mark,
# tatweel, ZWNJ), so that it keeps the original's length; folding makes it a space, so
# no text holds it.
_JOINED = "\x00"
# A character not in ``_PREFILLED``, or folding to more than one character (a ligature,
# "½"), or an apostrophe (possessives move words): text without one folds in place. A
# character folding to separators only ("…" to three) separates as one does.
_IN_PLACE = {
    code: _SEPARATOR if to and not to.strip(_SEPARATOR) else to
    for code, to in sorted(_PREFILLED.items())
    if (len(to) <= 1 or not to.strip(_SEPARATOR)) and to != "'"
}
_IRREGULAR = re.compile(f"[^{char_class(list(_IN_PLACE))}]")
_KEEPING_PLACE = {code: to or _JOINED for code, to in _IN_PLACE.items()}
_WORD = re.compile(f"[^{_SEPARATOR}{_JOINED}][^{_SEPARATOR}]*")
_CODE_PAGES = CodePages(_IN_PLACE, FIELD_BREAK)
