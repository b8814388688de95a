"""Stems of folded Latin-script words in French, Spanish, German and Turkish.

Latin script is shared by many languages, so a word is stemmed only for the language
its article is written in (``latin_stem(word, "fr")``); every other language, English
included, keeps its words as they are. Words arrive folded (``rules.text``): casefolded,
diacritics dropped, apostrophe suffixes split off. Terms and text go through the same
function, so only the equality of stems matters, not their spelling.

* French: Snowball (PyStemmer) on the folded word; a word ending in -ee(s) (-ée(s)
  before folding) only loses its -s (``_french``), so *armée* is not *arme* (weapon).
* Spanish: number and gender only (``_spanish``): Snowball's verb endings made *soldado*
  (soldier) share *soldar*'s (to weld) stem, and *ejército* (army) *ejercitar*'s.
* German: Snowball, but its reading of *ae*, *oe*, *ue* as umlauts (Snowball 3) is
  undone: the stem is the folded word's own prefix of the same letters, so *Mueller*
  and *Muller* stay apart, as they did before Snowball 3, on any PyStemmer; a noun in
  -ee keeps it (*Armee* is not *arme*, poor).
* Turkish: case, possessive and plural suffixes off the folded word (``_turkish``):
  Snowball's Turkish stemmer checks vowel harmony, which folding (ı→i, ü→u, ö→o)
  breaks, and it cuts a noun's last vowel as if it were the accusative (*saldırı* →
  *saldır* but *saldırıda* → *saldırı*).

Guards, each against false matches the dictionary check found (bench.false_matches,
docs/decisions): a word of fewer than ``MIN_STEM`` letters, or holding a digit or a
non-Latin letter, is its own stem; a stem that would be shorter than ``MIN_STEM``
letters is the word's first ``MIN_STEM`` letters marked ``FLOORED``, which only other
such stems equal (French *Damas* is not *dame*, *Deraa* not *deraient*; German *Tote*
and *Toten*, *Rakete* and *Raketen* still meet). The scanner inflects no term word of
``MIN_STEM`` letters or fewer (``rules.inflection.latin_inflects``), so short names
(*Gaza*, *Homs*, *Irak*) match their own spelling only.

``latin_prefix`` gives a prefix shared by every word of a stem, for an automaton key:
a stem is the word's own first letters, except for the last letters of a stem ending
as a rewritten ending does (French *chevaux* → *cheval*, Turkish *kitabı* → *kitap*),
which are left off the prefix, and the mark of a floored stem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import Stemmer

from rules._turkish import turkish_stem

LANGUAGES: frozenset[str] = frozenset({"de", "es", "fr", "tr"})
MIN_STEM = 4
# Ends a stem cut to the word's first MIN_STEM letters: folding makes "+" a separator, so
# such a stem never equals a stemmer's own stem of another word: French "deraient"
# (Snowball "der") is not "Deraa" ("dera"), German "Raketen" and "Rakete" (Snowball 3:
# "rak") are both "rake+".
FLOORED = "+"
# Longer "words" are no language's inflected forms (and hostile text could fill a stem
# cache with them): they are their own stems, here and in ``rules.inflection``.
LONGEST_STEMMED = 40
# Folded Latin letters only (no digits, no other script); ÷ (U+00F7) is not a letter.
_LATIN_WORD = re.compile("[a-z\u00df-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
# Endings a stemmer writes in place of the word's own letters, with how many of the
# stem's last letters may then differ from the word's: Snowball French "ic" → "iqu",
# "amment" → "ant", "ence" → "ent", "aux" → "al", "abil" → "abl", "euse" → "eux", a
# final "y" → "i" (algorithms/french.sbl, every "<-"); Spanish final "z" → "c"; Turkish b,
# d, g → p, t, k. German stems are the word's own prefix (``_german``). Checked against
# every dictionary word by bench.false_matches and over the test fixtures.
_REWRITTEN: dict[str, tuple[tuple[str, int], ...]] = {
    "de": (),
    "es": (("c", 1),),
    "fr": (("qu", 2), ("nt", 2), ("l", 1), ("x", 1), ("i", 1)),
    "tr": (("p", 1), ("t", 1), ("k", 1)),
}


def latin_stem(word: str, language: str, *, shortest: int = MIN_STEM) -> str:
    """The stem of one folded word in ``language`` (the word itself when the language is
    not stemmed here, or the word is short, long, or not all Latin letters). No stem is
    shorter than the word's first ``shortest`` letters (another floor: for measuring)."""
    if language not in LANGUAGES or not shortest <= len(word) <= LONGEST_STEMMED:
        return word
    return _stem(word, language, shortest)


def latin_prefix(word: str, language: str) -> str:
    """A prefix of ``word`` that every folded word sharing its stem starts with."""
    stemmed = latin_stem(word, language)
    if len(word) < MIN_STEM or (stemmed == word and not _is_stemmed(word, language)):
        return word  # no other word has its stem: stems of longer words are longer
    if stemmed.endswith(FLOORED):
        return stemmed[: -len(FLOORED)]
    for ending, rewritten in _REWRITTEN[language]:
        if stemmed.endswith(ending):
            return stemmed[:-rewritten]
    return stemmed


def is_latin(word: str) -> bool:
    """Whether ``word`` is all Latin letters (as folded): a word ``latin_stem`` stems."""
    return _LATIN_WORD.fullmatch(word) is not None


def _is_stemmed(word: str, language: str) -> bool:
    """Whether words of ``language`` other than ``word`` itself can stem to ``word``."""
    return language in LANGUAGES and is_latin(word)


@lru_cache(maxsize=65_536)
def _stem(word: str, language: str, shortest: int) -> str:
    if not is_latin(word):
        return word
    stemmed = _STEMMERS[language](word, shortest)
    return stemmed if len(stemmed) >= shortest else word[:shortest] + FLOORED


def _snowball(algorithm: str) -> Callable[[str], str]:
    return Stemmer.Stemmer(algorithm).stemWord  # type: ignore[no-any-return]


def _spanish(word: str, _shortest: int) -> str:
    """Number and gender only (after Savoy's light stemmer): a final -o, -a or -e, or
    -os, -as, -es, off; a final -z is written -c, as before -es and -e (*lápiz* and
    *lápices* are *lapic*, as *avance* and *avances* are *avanc*)."""
    if word.endswith(("o", "a", "e")):
        return word[:-1]
    if word.endswith("z"):
        return word[:-1] + "c"
    if word.endswith(("os", "as", "es")):
        return word[:-2]
    return word


_GERMAN = _snowball("german")


def _german(word: str, _shortest: int) -> str:
    """Snowball German's stem as the word's own prefix: Snowball 3 reads ae, oe, ue (not
    after q) as ä, ö, ü, so its stem can lack an e the word has after a, o or u. A noun in
    -ee (*Armee*, *Armeen*) keeps it: Snowball would leave *arme*, the adjective (poor)."""
    if word.endswith(("ee", "een", "ees")):
        return word.removesuffix("n").removesuffix("s")
    stemmed = _GERMAN(word)
    at = 0
    for letter in stemmed:
        if at < len(word) and word[at] != letter and _umlaut_e(word, at):
            at += 1
        if at >= len(word) or word[at] != letter:
            break  # not an umlaut reading: keep the letters the stem and word share
        at += 1
    return word[:at]


def _umlaut_e(word: str, at: int) -> bool:
    return word[at] == "e" and at > 0 and word[at - 1] in "aou" and word[at - 2 : at - 1] != "q"


_FRENCH = _snowball("french")


def _french(word: str, _shortest: int) -> str:
    """Snowball French, except that a word ending in -ee(s), folded from -ée(s), loses
    only its -s: Snowball keeps the é of *armée* (*armé*) but not a bare e, so on the
    folded word it would leave *arme*, the stem of *armes* (weapons)."""
    if word.endswith(("ee", "ees")):
        return word.removesuffix("s")
    return _FRENCH(word)


# Each takes the floor, which only the Turkish suffix stripper needs (it stops there).
_STEMMERS: dict[str, Callable[[str, int], str]] = {
    "de": _german,
    "es": _spanish,
    "fr": _french,
    "tr": turkish_stem,
}
