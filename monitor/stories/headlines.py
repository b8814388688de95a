"""Headline text for dedup: decorations stripped, folded, cut into comparable tokens.

Everything here is a pure function of its input (no state, no clock): the story
index (``monitor.stories.index``) adds what depends on the window, such as how rare
a word is or whether a Title Case word is a name. ``language`` is the article's detected
language ("" when unknown): it picks the stop words, stems and casualty words
(``monitor.stories.words``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from monitor.stories.numbers import join_thousands
from monitor.stories.words import (
    capitalised_stop_words,
    is_toll_word,
    reading,
    reading_language,
    stem,
    written_as_name,
)
from rules.text import fold as fold_for_matching

_PREFIX = re.compile(
    r"^\s*(?:(?:update|updated|corrected|correction|refile|rpt|wrapup)\s*\d*\s*[-:–—]+|"
    r"(?:breaking(?:\s+news)?|watch|exclusive|live|analysis|video|photos?|factbox|"
    r"timeline|insight|special\s+report|just\s+in)\s*[-:–—|]+)\s*",
    re.IGNORECASE,
)
# Reuters-style slugs: upper-case words glued to a hyphen ("US STOCKS-", "ECB FOCUS-").
_SLUG = re.compile(r"^\s*[A-Z][A-Z0-9&.' ]{1,30}-(?=\S)")
_PAREN_SUFFIX = re.compile(r"\s*[(\[][^()\[\]]{1,30}[)\]]\s*$")
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—]\s+(?:\S+\s*){1,4}$")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*$")
_WORD = re.compile(r"[^\W_]+")

# News agencies whose copies other outlets carry verbatim, by the credit they print.
WIRE_AGENCIES = {
    "reuters": "Reuters",
    "afp": "AFP",
    "agence france presse": "AFP",
    "agence france-presse": "AFP",
    "ap": "AP",
    "associated press": "AP",
    "dpa": "dpa",
    "efe": "EFE",
    "ansa": "ANSA",
    "xinhua": "Xinhua",
    "kyodo": "Kyodo",
    "yonhap": "Yonhap",
    "anadolu": "Anadolu",
    "tass": "TASS",
    "interfax": "Interfax",
    "upi": "UPI",
    "bernama": "Bernama",
    "pti": "PTI",
    "ians": "IANS",
    "aap": "AAP",
}
_CREDIT = re.compile(
    r"\((" + "|".join(re.escape(name) for name in WIRE_AGENCIES) + r")\)|"
    r"[-|–—]\s*(" + "|".join(re.escape(name) for name in WIRE_AGENCIES) + r")\s*$",
    re.IGNORECASE,
)
# A dateline credit opening a lead: "BEIRUT (MPA) -", "Paris, May 3 (AFP) —".
_DATELINE = re.compile(r"^[A-Z][\w .,'-]{0,40}?\(([A-Z][A-Za-z]{1,9})\)\s*[-–—:]")


def strip_decorations(title: str) -> str:
    """The headline without wire and outlet decorations, case kept."""
    previous = None
    while previous != title:
        previous = title
        title = _ELLIPSIS.sub("", title)
        title = _PREFIX.sub("", title)
        title = _SLUG.sub("", title)
        title = _PAREN_SUFFIX.sub("", title)
    return _OUTLET_SUFFIX.sub("", title) if len(title.split()) > 6 else title


def fold(text: str) -> str:
    """Lower case, no diacritics, punctuation as single spaces: the words as rules read
    them (``rules.text``), letters a script writes several ways folded alike."""
    return fold_for_matching(text)[0].strip()


def grouping_text(text: str, language: str = "") -> str:
    """Folded as ``fold``, thousands first written as one number ("1,200" → "1200"), so
    that a casualty count stays one word (``monitor.stories.numbers``)."""
    return fold(join_thousands(text, language))


def normalise_headline(title: str) -> str:
    """Headline without wire and outlet decorations, case, diacritics or punctuation."""
    return fold(strip_decorations(title))


def content_tokens(folded: str, language: str = "") -> frozenset[str]:
    """The words that carry meaning: no stop words (of its language), no bare numbers,
    stemmed."""
    words = folded.split()
    stop, language = reading(words, language)
    return frozenset(
        stem(word, language)
        for word in words
        if len(word) > 1 and word not in stop and not word.isdigit()
    )


def toll_numbers(folded: str, language: str = "") -> frozenset[str]:
    """Numbers counting casualties: within three words before or two after a toll word."""
    words = folded.split()
    tolls = set()
    for position, word in enumerate(words):
        if word.isdigit() and any(
            is_toll_word(near, language) for near in words[max(0, position - 3) : position + 3]
        ):
            tolls.add(word)
    return frozenset(tolls)


class CasedWord(NamedTuple):
    """A folded, stemmed word of a headline and how it was written there (a named tuple:
    made for every word of every headline read, at a third of a frozen dataclass's cost)."""

    token: str
    folded: str
    capitalised: bool
    first: bool  # the headline's first word is capitalised whatever it is


@lru_cache(maxsize=256)  # an article's headline is read at its lookup and again when added
def cased_words(text: str, language: str = "") -> tuple[CasedWord, ...]:
    """Words in order, each with its case, skipping stop words and numbers. A word of a
    script without capital letters counts as capitalised (``words.written_as_name``)."""
    parts = [(raw, part) for raw in _WORD.findall(text) for part in _word_folded(raw).split()]
    stop, language = reading([part for _, part in parts], language)
    found: list[CasedWord] = []
    for raw, part in parts:
        if len(part) > 1 and part not in stop and not part.isdigit():
            found.append(CasedWord(stem(part, language), part, written_as_name(raw), not found))
    return tuple(found)


@lru_cache(maxsize=32_768)
def _word_folded(word: str) -> str:
    """``fold`` of one word: the same few thousand words are folded again and again."""
    return fold(word)


def is_title_case(text: str, language: str = "") -> bool:
    """Most longer words capitalised: case says nothing about which ones are names. Never
    so in German, which capitalises every noun: a German headline's capitalised words
    are read as names (a report of another city's accident stays apart, as in any
    language; two wordings with other nouns may too, the cheaper mistake)."""
    if (language or reading_language(fold(text).split())) == "de":  # folded only if unknown
        return False
    long = [word for word in text.split() if len(word) > 3 and word[:1].isalpha()]
    if len(long) < 2:
        return False
    return sum(word[:1].isupper() for word in long) >= 0.7 * len(long)


def wire_credit(title: str, lead: str) -> str | None:
    """The news agency an article credits ("… (Reuters)", "BEIRUT (AFP) -"), if any."""
    for text in (title, lead[:300]):
        credit = _CREDIT.search(text)
        if credit:
            return WIRE_AGENCIES[(credit.group(1) or credit.group(2)).lower()]
    dateline = _DATELINE.match(lead[:120])
    if dateline:
        name = dateline.group(1)
        return WIRE_AGENCIES.get(name.lower(), name)
    return None


def lead_of(summary: str, title: str, words: int = 40) -> str:
    """The first ``words`` words of the summary, or "" when it only repeats the title."""
    # maxsplit: the first words only, not the whole summary (~2 KB) split and dropped
    lead = " ".join(summary.split(maxsplit=words)[:words])
    return "" if fold(lead) == fold(title) else lead


_PHRASE_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_LOCATIVE = frozenset(
    """across along around at from in inside into near of off outside through to toward
    towards""".split()
)
_CALENDAR = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december""".split()
)
MAX_NAMES = 12
_MAX_NAME_CHARS = 60


# What name_phrases reads of a text whatever the window holds: whether it is Title Case,
# and its words (a possessive's "'s" dropped), each with its fold.
PhraseWords = tuple[bool, tuple[tuple[str, str], ...]]


def phrase_words(text: str, language: str = "") -> PhraseWords:
    """What :func:`name_phrases` reads of ``text`` before any word is judged a name."""
    words = [_POSSESSIVE.sub("", raw) for raw in _PHRASE_WORD.findall(text)]
    return is_title_case(text, language), tuple((word, _word_folded(word)) for word in words)


def name_phrases(
    text: str,
    is_name: Callable[[str, bool], bool],
    language: str = "",
    read: PhraseWords | None = None,
) -> list[tuple[str, str]]:
    """Runs of name words with a guessed kind: ("Latakia", "place"), ("Quds Force", "actor").

    ``is_name(token, case_says_nothing)`` decides each capitalised word. A run after a
    locative word ("in", "near", "north of") is a place; any other run is an actor.
    ``read``: :func:`phrase_words` of ``text``, when read already (in a parse worker).
    """
    title_case, words = read if read is not None else phrase_words(text, language)
    names = _NameWords(is_name, title_case, language)
    phrases: list[tuple[str, str]] = []
    run: list[str] = []
    before = ""
    for position, (word, folded) in enumerate(words):
        if names.something(word, folded) and (
            names.is_name(folded, title_case or not position)
            or (not position and names.opens_name(words))
        ):
            run.append(word)
            continue
        _close(run, before, phrases)
        run, before = [], folded
    _close(run, before, phrases)
    return phrases[:MAX_NAMES]


@dataclass(frozen=True, slots=True)
class _NameWords:
    """Which words of one text name something, in its language."""

    decide: Callable[[str, bool], bool]
    title_case: bool
    language: str

    def something(self, word: str, folded: str) -> bool:
        stop = capitalised_stop_words(self.language)
        return word[:1].isupper() and folded not in stop and folded not in _CALENDAR

    def is_name(self, folded: str, case_says_nothing: bool) -> bool:
        return self.decide(stem(folded, self.language), case_says_nothing)

    def opens_name(self, words: tuple[tuple[str, str], ...]) -> bool:
        """A capitalised first word followed by a name is part of it ("Quds Force …")."""
        if len(words) < 2 or not self.something(*words[1]):
            return False
        return self.is_name(words[1][1], self.title_case)


def _close(run: list[str], before: str, phrases: list[tuple[str, str]]) -> None:
    phrase = " ".join(run)[:_MAX_NAME_CHARS]
    if phrase and all(phrase != known for known, _ in phrases):
        phrases.append((phrase, "place" if before in _LOCATIVE else "actor"))
