"""Inflected forms: each folded word reduced to a stem, the same way for terms and text.

A term written in its dictionary form matches the forms the news writes when the
stems of its words equal the stems of the text's words, word for word: still
whole words, never a prefix. The stemmer is chosen by the word's script, so a
term and the text it should match are always stemmed alike:

* Arabic script (Arabic, Persian): a light stemmer. Leading proclitic letters
  (و ف ب ك ل) and the article ال come off, leaving at least three letters; then one
  common suffix (plurals, possessives, Persian ها/های) comes off, leaving at least
  four, so that a name such as "سورية" is never cut to a common word ("سور").
* Cyrillic: the Snowball Russian stemmer (PyStemmer); a word holding a letter only
  Ukrainian writes (і ї є ґ) loses one Ukrainian case ending instead, as there is
  no Snowball Ukrainian stemmer. A Cyrillic stem is never shorter than the word's
  first four letters, so short names ("Рим") match only their own spelling, not
  common words that share their first letters ("рима").
* Anything else (Latin script, digits, other scripts) is left as it is: English
  matching is unchanged.

Text is stemmed only when it holds Arabic-script or Cyrillic letters and the rules
hold a term that inflects; the stemmed words are written after a MARK that no
folded text holds, so a stem key never matches the unstemmed text and a plain key
never matches the stemmed text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

from rules.text import TermPattern

MARK = "\x02"  # starts every stemmed word; folding turns control characters into spaces
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_CYRILLIC = "\u0400-\u052f"
_STEMMABLE = re.compile(f"[{_ARABIC}{_CYRILLIC}]")
_ARABIC_WORD = re.compile(f"[{_ARABIC}]")
_CYRILLIC_WORD = re.compile(f"[{_CYRILLIC}]")
_UKRAINIAN_LETTERS = frozenset("іїєґ")

_PROCLITICS = frozenset("وفبكل")  # and, so, with/in, like, for: written joined to the word
_ARTICLE = "ال"
_MIN_AFTER_PREFIX = 3
# Longest first. Arabic: feminine and sound plurals, duals, attached pronouns, the nisba;
# Persian: the plural ها (with ezafe ی) and ان. Both the written letters and their folded
# forms (rules.text folds ة to ه and ی to ي) are listed, so either folding works.
_SUFFIXES = tuple(
    sorted(
        (
            "هایی",
            "های",
            "ها",
            "هم",
            "هن",
            "كم",
            "نا",
            "ات",
            "ون",
            "ين",
            "ان",
            "ية",
            "يه",
            "ه",
            "ة",
            "ي",
            "ی",
        ),
        key=len,
        reverse=True,
    )
)
_MIN_AFTER_SUFFIX = 4
_MIN_CYRILLIC_STEM = 4
# Ukrainian noun and adjective case endings, longest first (no Snowball stemmer exists).
_UKRAINIAN_ENDINGS = tuple(
    sorted(
        ("ами", "ями", "ові", "еві", "ою", "ею", "єю", "ом", "ем", "ах", "ях", "ів", "їв",
         "ам", "ям", "ий", "ій", "ого", "ому", "их", "им", "а", "я", "у", "ю", "і", "ї", "е",
         "є", "о", "и"),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_RUSSIAN = Stemmer.Stemmer("russian")
# Folding drops the breve of й with every other combining mark, so "Москвой" arrives as
# "москвои"; after a vowel at a word's end и stands for й, which Snowball needs to see.
_VOWELS_BEFORE_SHORT_I = frozenset("аеёоуыэюя")


def matching_key(pattern: TermPattern, *, exact: bool) -> str:
    """The automaton key of a term: by stem when it inflects (not ``exact``, no prefix
    wildcard, some word in a stemmed script), else its folded words as written."""
    if exact or pattern.prefix or not inflects(pattern.words):
        return pattern.key
    return stem_key(pattern.words)


def inflects(words: Sequence[str]) -> bool:
    """True when some word of a term is in a script whose words are stemmed."""
    return any(_STEMMABLE.search(word) for word in words)


def stem_key(words: Sequence[str]) -> str:
    """The automaton key of a term's words matched by stem: " ␂s1 ␂s2 "."""
    return " " + " ".join(MARK + stem(word) for word in words) + " "


def stemmed_text(folded: str) -> str | None:
    """The stemmed view of a folded text (" w1 w2 " gives " ␂s1 ␂s2 ", as many words),
    or None when it holds no word in a stemmed script."""
    if not _STEMMABLE.search(folded):
        return None
    stems = " ".join(MARK + stem(word) for word in folded.split())
    return f" {stems} " if stems else " "


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The stem of one folded word (the word itself outside Arabic script and Cyrillic)."""
    if _ARABIC_WORD.search(word):
        return arabic_stem(word)
    if _CYRILLIC_WORD.search(word):
        return cyrillic_stem(word)
    return word


def arabic_stem(word: str) -> str:
    """Proclitics and the article off (at least three letters left), then one suffix off
    (at least four left)."""
    word = _strip_proclitics(word)
    if word.startswith(_ARTICLE) and len(word) - len(_ARTICLE) >= _MIN_AFTER_PREFIX:
        word = _strip_proclitics(word[len(_ARTICLE) :])
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_AFTER_SUFFIX:
            return word[: -len(suffix)]
    return word


def _strip_proclitics(word: str) -> str:
    """Leading proclitic letters off while three letters remain.

    Stripping every such letter (not one of each) keeps stems equal for a word and the
    same word behind a proclitic, even when the word itself begins with one of those
    letters ("بيروت", "لبيروت" and "وبيروت" all give "يروت").
    """
    start = 0
    while word[start] in _PROCLITICS and len(word) - start > _MIN_AFTER_PREFIX:
        start += 1
    return word[start:]


def cyrillic_stem(word: str) -> str:
    """Snowball Russian (or one Ukrainian ending off), never below the first four letters."""
    if _UKRAINIAN_LETTERS.intersection(word):
        stemmed = _ukrainian_stem(word)
    else:
        stemmed = _RUSSIAN.stemWord(_short_i(word))
    floor = word[:_MIN_CYRILLIC_STEM]
    return stemmed if len(stemmed) >= len(floor) else floor


def _short_i(word: str) -> str:
    if len(word) > 2 and word[-1] == "и" and word[-2] in _VOWELS_BEFORE_SHORT_I:
        return word[:-1] + "й"
    return word


def _ukrainian_stem(word: str) -> str:
    for ending in _UKRAINIAN_ENDINGS:
        if word.endswith(ending):
            return word[: -len(ending)]
    return word
