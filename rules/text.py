"""One normalisation for both rule terms and article text.

Text becomes a list of word tokens, each folded (NFKC, case folding, no
diacritics) and carrying its offsets into the ORIGINAL text, so a hit can be
shown where the user will see it. Anything that is not a letter or digit
separates words: hyphens, dashes, quotes, punctuation, spaces. A possessive
``'s`` is dropped, so "Iran's" is the token "iran".

Combining marks and invisible format characters (soft hyphen, zero-width
joiners) join rather than split, so "Ir<soft hyphen>an" still reads "iran".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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
_JOINING = frozenset({"Mn", "Me", "Cf"})  # dropped without splitting the word
_SEPARATOR = " "


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


def term_tokens(term: str) -> tuple[str, ...]:
    """The words a term must match, in order; empty when it has no letters or digits."""
    return tuple(token.text for token in tokenise(term))


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
    """True for the ``s`` of "Iran's": one apostrophe between it and the word before."""
    between = text[previous.end : token.start]
    return len(between) == 1 and _is_apostrophe(between)


def _is_apostrophe(char: str) -> bool:
    return unicodedata.normalize("NFKC", char.translate(_QUOTES)) == "'"
