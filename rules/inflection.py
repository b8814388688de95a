"""Inflected forms: a term in its dictionary form matches the forms the news writes.

Text words and term words are reduced to stems by the same function (``stem``),
chosen by the word's script and, for Latin script, the article's language, and a term
matches where its words' stems equal the text's, word for word: still whole words,
never a prefix.

* Arabic script (Arabic, Persian): one common suffix comes off (sound plurals and
  duals, attached pronouns, Persian ها/های), leaving at least five letters (four for
  the Persian plural), so that names keep their last letters. Proclitics (و ف ب ك ل
  and the article ال) are not stripped from the text, which would fold unrelated
  words together (لبنان "Lebanon" and فنان "artist" would both be نان); instead the
  first word of a term is indexed under each proclitic sequence a word can carry
  (``term_forms``): دمشق also as بدمشق, ودمشق, لدمشق, والدمشق, ... and الجيش also as
  جيش, للجيش, وبالجيش; a name of three letters only under sequences of two letters or
  more (بالرقة, not ورقة "paper"). The nisba (ي, ية) and ta marbuta (ة, folded to ه)
  are kept: "سوري" is not "سورية", and "حماسة" (zeal) is not "حماس".
* Cyrillic: the Snowball Russian stemmer (PyStemmer); a word holding a letter only
  Ukrainian writes (і ї є ґ) loses one Ukrainian case ending instead, as there is no
  Snowball Ukrainian stemmer. A Cyrillic stem is never shorter than the word's first
  four letters, so a short name ("Рим") matches only its own spelling, not common
  words that share its first letters ("рима").
* Latin script: stemmed only in an article in French, Spanish, German or Turkish
  (``rules._latin``; ``latin_key``), where a word of a phrase of ``MIN_STEM`` letters
  or fewer matches only as written (``as_written``). In any other article, English
  included, or when the language is unknown, Latin words are left as they are.
* Anything else (digits, other scripts) is left as it is.

A term that inflects is found without stemming the text: its automaton key is the
start its inflected forms share (``stem_keys``: the stem, which every word of that
stem begins with), and each candidate the automaton finds is confirmed by stemming
the text's words there and comparing them with the term's (``rules.scan``). Only
the words the automaton points at are stemmed, and each distinct word once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

import Stemmer

from rules._latin import LANGUAGES, LONGEST_STEMMED, MIN_STEM, is_latin, latin_prefix, latin_stem
from rules.text import TermPattern

_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_CYRILLIC = "\u0400-\u052f"
_STEMMABLE = re.compile(f"[{_ARABIC}{_CYRILLIC}]")
_ARABIC_WORD = re.compile(f"[{_ARABIC}]")
_CYRILLIC_WORD = re.compile(f"[{_CYRILLIC}]")
_UKRAINIAN_LETTERS = frozenset("іїєґ")

_ARTICLE = "ال"
# Written joined to the word, in this order: and/so, with/like/for, the article.
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ك", "ل")
_PROCLITIC_SEQUENCES = tuple(
    dict.fromkeys(
        # ل before the article drops its alef: لل, not لال
        conjunction + ("لل" if preposition == "ل" and article else preposition + article)
        for conjunction in _CONJUNCTIONS
        for preposition in _PREPOSITIONS
        for article in ("", _ARTICLE)
    )
)
_MIN_BASE = 2  # "ال" starting a shorter word is part of it, not the article
# One of these comes off a word, longest first: Arabic sound plurals (ات ون ين), the dual
# (ان), attached pronouns (ها هم هن كم نا), and the Persian plural ها with its ezafe (های,
# هایی; folded: هاي, هايي). Not the nisba (ي) nor ta marbuta (ة, folded to ه), which make
# other words: "سوري" (Syrian) is not "سورية" (Syria), "حماسة" (zeal) is not "حماس".
# At least five letters must stay (four for the Persian plural): names end in these
# letters too, and a proclitic form of a name cut short is another word (بايران, "in
# Iran", would lose ان and read باير; وبوتين would read وبوت).
_PERSIAN_PLURALS = ("هایی", "های", "هايي", "هاي", "ها")
_SUFFIXES = tuple(
    sorted(
        (*_PERSIAN_PLURALS, "هم", "هن", "كم", "نا", "ات", "ون", "ين", "ان"),
        key=len,
        reverse=True,
    )
)
_MIN_AFTER_SUFFIX = 5
_MIN_AFTER_PLURAL = 4
# A name of three letters or fewer takes only proclitic sequences of two letters or more
# (بال, لل, وب, ...): one letter before it is too often another word (فرقه "band" and
# ورقه "paper" are ف and و before رقه, Raqqa).
_SHORT_BASE = 3
_MIN_CYRILLIC_STEM = 4
# The fewest letters a stemmer here leaves of a word it shortens.
_SHORTEST_CUT = min(_MIN_CYRILLIC_STEM, _MIN_AFTER_PLURAL, _MIN_AFTER_SUFFIX)
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


class StemKey(NamedTuple):
    """One automaton key of a term that inflects, and the stems that confirm a hit."""

    key: str  # " " and the start that every word with the keyed word's stem shares
    position: int  # which word of the term the key is the start of
    accepted: tuple[frozenset[str], ...]  # for each word of the term, the stems it may have


def stem_keys(pattern: TermPattern) -> tuple[StemKey, ...]:
    """The keys of a term that inflects (``by_stem``), each word of a hit to be
    confirmed by its stem. The key is the start of the term's longest word (a common
    first word, "الجيش" of "الجيش السوري", would make the scanner confirm every
    mention of the army): of each form of the first word when it is that word
    (Arabic proclitic forms, ``term_forms``), else of the one word."""
    forms = term_forms(pattern.words)
    accepted = tuple(map(frozenset, forms))
    position = _longest([len(stems[0]) for stems in forms])
    return tuple(
        StemKey(" " + _shared_start(form), position, _narrowed(accepted, position, form))
        for form in forms[position]
    )


def _narrowed(
    accepted: tuple[frozenset[str], ...], position: int, form: str
) -> tuple[frozenset[str], ...]:
    """``accepted`` with the keyed word's stems narrowed to its key's: one form of a
    word is confirmed by one key only."""
    return (*accepted[:position], frozenset((form,)), *accepted[position + 1 :])


def _shared_start(stemmed: str) -> str:
    """What every folded word with this stem begins with. Stems here only ever lose a
    word's last letters, except that a Cyrillic word's final и is read as й (which
    folding turns into и) before Snowball sees it. No stemmer here leaves a longer word
    fewer than four letters (the Cyrillic floor, the letters an Arabic suffix must
    leave), so a shorter stem is its own word's only: that word, whole."""
    if len(stemmed) < _SHORTEST_CUT:
        return stemmed + " "
    return stemmed[:-1] + "и" if stemmed.endswith("й") else stemmed


def matching_keys(pattern: TermPattern, *, exact: bool) -> tuple[str, ...]:
    """What the matcher looks for of a term (two spellings with the same keys find the
    same words): the stems of its words when it inflects (with those of each form of
    its first word), else its folded words as written (``TermPattern.key``)."""
    if not by_stem(pattern, exact=exact):
        return (pattern.key,)
    return tuple(" ".join(sorted(stems)) for stems in map(frozenset, term_forms(pattern.words)))


def by_stem(pattern: TermPattern, *, exact: bool) -> bool:
    """Whether a term matches by stem: not ``exact``, no prefix wildcard, and some word
    in a stemmed script. The scanner's keys and ``rules.occurrences`` both ask this."""
    return not exact and not pattern.prefix and inflects(pattern.words)


def term_forms(words: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """For each word of a term, the stems of text words it matches: the first word of
    Arabic script under every proclitic sequence, every other word its own stem."""
    first, *rest = words
    forms = _proclitic_forms(first) if _ARABIC_WORD.search(first) else (first,)
    return (tuple(dict.fromkeys(map(stem, forms))), *((stem(word),) for word in rest))


def _proclitic_forms(word: str) -> tuple[str, ...]:
    base = word
    if word.startswith(_ARTICLE) and len(word) - len(_ARTICLE) >= _MIN_BASE:
        base = word[len(_ARTICLE) :]
    shortest = 2 if len(base) <= _SHORT_BASE else 0
    return tuple(
        sequence + base for sequence in _PROCLITIC_SEQUENCES if not 0 < len(sequence) < shortest
    )


def inflects(words: Sequence[str]) -> bool:
    """True when some word of a term is in a script whose words are stemmed."""
    return any(_STEMMABLE.search(word) for word in words)


def latin_inflects(pattern: TermPattern) -> bool:
    """Whether a term can match other forms in a language whose Latin-script words are
    stemmed (``LANGUAGES``): no wildcard, and some Latin word long enough to inflect."""
    return not pattern.prefix and any(
        is_latin(word) and len(word) > MIN_STEM for word in pattern.words
    )


def latin_key(pattern: TermPattern, language: str) -> StemKey:
    """The automaton key of a term that ``latin_inflects``, in ``language``: the start
    that every form of its longest word shares, each word's stem to confirm a hit."""
    words = pattern.words
    position = _longest([len(word) for word in words])
    accepted = tuple(frozenset((form,)) for form in latin_forms(words, language))
    return StemKey(" " + latin_prefix(words[position], language), position, accepted)


def _longest(lengths: Sequence[int]) -> int:
    """Which word of a term its key is the start of: the longest, the first of equals."""
    return max(range(len(lengths)), key=lambda index: (lengths[index], -index))


def latin_forms(words: Sequence[str], language: str) -> tuple[str, ...]:
    """What each word of a Latin-script term is compared with in ``language``: its stem,
    or, for a word of MIN_STEM letters or fewer, ``as_written(word)``: such a word (*de*,
    *Gaza* in *bande de Gaza*) matches only its own spelling, as a term of one short word
    does (its floored stem would take *gazait*)."""
    return tuple(
        as_written(word) if len(word) <= MIN_STEM else stem(word, language) for word in words
    )


def as_written(word: str) -> str:
    """A form that only ``word`` itself matches: the word and a space, which no stem holds
    (the scanner compares it with the text's word and the space after it)."""
    return word + " "


class _Stems(dict[str, str]):
    """Folded word → its stem (in one language), filled on first sight; bounded so that
    hostile text cannot grow it without limit (words past the bound are stemmed each
    time)."""

    def __init__(self, language: str | None = None) -> None:
        super().__init__()
        self._language = language

    def __missing__(self, word: str) -> str:
        stemmed = stem(word, self._language)
        if len(self) < _STEMS_LIMIT and len(word) <= LONGEST_STEMMED:
            self[word] = stemmed
        return stemmed


_STEMS_LIMIT = 65_536
STEMS = _Stems()  # ``STEMS[word]``: ``stem(word)``, at the cost of a dict lookup when seen
_LATIN_STEMS = {language: _Stems(language) for language in sorted(LANGUAGES)}


def stems_in(language: str) -> Mapping[str, str]:
    """Folded word → ``stem(word, language)``, cached as ``STEMS`` is."""
    return _LATIN_STEMS.get(language, STEMS)


def stem(word: str, language: str | None = None) -> str:
    """The stem of one folded word (the word itself outside Arabic script and Cyrillic);
    a Latin-script word is stemmed only in French, Spanish, German or Turkish text."""
    if language in LANGUAGES and is_latin(word):
        return latin_stem(word, language)  # (None is in no set of languages)
    return word if len(word) > LONGEST_STEMMED else _stem(word)


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    if _ARABIC_WORD.search(word):
        return arabic_stem(word)
    if _CYRILLIC_WORD.search(word):
        return cyrillic_stem(word)
    return word


def arabic_stem(word: str) -> str:
    """One common suffix off, at least four letters left."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix):
            least = _MIN_AFTER_PLURAL if suffix in _PERSIAN_PLURALS else _MIN_AFTER_SUFFIX
            return word[: -len(suffix)] if len(word) - len(suffix) >= least else word
    return word


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
