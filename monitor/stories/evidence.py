"""The evidence that two reports tell one event, and the details that tell them apart.

What the story index (``monitor.stories.index``) knows of each windowed article
(``Entry``) and of the article it looks up (``Query``), and the judgements on a pair:
near-identical or an update of the toll, related by rare shared words, close in
meaning, or kept apart by a gate (docs/decisions/0041-story-gates.md,
docs/decisions/0042-semantic-evidence.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from monitor.records import MatchKind
from monitor.stories.aliases import other_entities, s_plurals, unmentioned
from monitor.stories.directions import opposed
from monitor.stories.headlines import toll_numbers
from monitor.stories.names import Said
from monitor.stories.numbers import numbers_conflict
from monitor.stories.words import mentioned

_MIN_SHARED = 3  # words a paraphrase must share with a story's headline
# Content words a headline needs to be judged by meaning: shorter ones ("March 11, 2014,
# 2:02 am", "Business in brief") say too little, and their embeddings are all alike.
_MIN_WORDS = 4
# In one language the words must overlap too: the embedding alone scores two reports on
# one subject alike ("Tehran sends forces to the Syrian coast" / "Tehran's envoy meets
# Syrian coast governors": 0.88), so a fifth of the rare words at least must be shared
# (with the leads' when both have one). On 12,000 real headlines this costs no recall.
_MIN_OVERLAP = 0.2
# The languages the embedding was trained to align (decision 0040): across two of them a
# cosine means the same meaning; with any other (Norwegian, Persian, a misread language)
# it does not, and invented or foreign words score 0.7-0.8 against each other.
_ALIGNED = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())
# A name both reports give that few windowed headlines give (IDF ≥ 6.5: about one in 660)
# is evidence of one event beside meaning and words: for such a pair the one-language bar
# is eased by NAME_EASING (docs/decisions/0067-shared-names.md). On de-leaked times it buys
# recall at equal precision on both halves of the slice; a larger easing or a commoner
# name costs precision.
_RARE_NAME = 6.5
NAME_EASING = 0.04
# A bound rules a pair out only this far below the bar: rounding cannot change a verdict.
_ROUNDING = 1 - 1e-9
# Verdicts as module constants: judge runs for every candidate story (~17 per article), and
# a class attribute of an Enum costs ten times a global to look up.
_VETO, _UPDATE, _NEAR_IDENTICAL = MatchKind.VETO, MatchKind.UPDATE, MatchKind.NEAR_IDENTICAL
_NONE, _RELATED = MatchKind.NONE, MatchKind.RELATED
_SEMANTIC, _SHARED_NAMES = MatchKind.SEMANTIC, MatchKind.SHARED_NAMES


@dataclass(slots=True)
class IndexedStory:
    story_id: str
    first_article_id: str
    last_seen: datetime
    opened: float = 0.0  # POSIX seconds its first report was stored, kept once it is pruned
    entries: int = 0
    members: list[int] = field(default_factory=list)  # windowed entry serials, in order
    centroid: npt.NDArray[np.float16] | None = None  # of its newest members' vectors
    recent: tuple[int, ...] | None = None  # members to read the centroid from when next asked


@dataclass(slots=True)
class Entry:
    story: IndexedStory
    headline: str  # normalised
    tokens: tuple[str, ...]  # headline content words
    extra: tuple[str, ...]  # lead words not in the headline
    names: tuple[str, ...]
    numbers: frozenset[str]
    counts: frozenset[str]  # casualty counts of headline and lead
    seen: float  # POSIX seconds
    language: str  # the article's, its headline's casualty words read in it
    directions: frozenset[int]  # poles of its headline's direction words
    aliases: frozenset[str]  # canonical names its words spell ("turkish" → "turkey")
    stored: float  # POSIX seconds it was stored (fetched): the window is by this, as the store's
    said: Said = 0  # what its headline added to the name counts (taken back when pruned)


@dataclass(frozen=True, slots=True)
class Query:
    headline: str
    tokens: frozenset[str]
    everything: frozenset[str]  # headline and lead words
    names: frozenset[str]
    numbers: frozenset[str]
    tolls: frozenset[str]  # the headline's casualty counts
    counts: frozenset[str]  # casualty counts of headline and lead
    language: str
    directions: frozenset[int]
    aliases: frozenset[str]


class Rarity(dict[str, float]):
    """IDF of words in the window, computed once per word per lookup: ``idf(word)``.

    A lookup reads a few hundred words' weights, most of them many times (a story's whole
    weighs each of its members' words): once computed, a weight is the dict's own C
    lookup (``__missing__`` computes it the first time), half the cost of a method that
    looks up a cache."""

    __slots__ = ("_norms", "_postings", "_total")

    def __init__(self, postings: Mapping[str, Sequence[int]], entries: int) -> None:
        super().__init__()
        self._postings = postings
        self._total = entries + 1
        self._norms: dict[frozenset[str], float] = {}  # the query's words, judged ~20 times

    def __missing__(self, token: str) -> float:
        postings = self._postings.get(token)
        frequency = len(postings) if postings else 0
        weight = self[token] = max(0.0, math.log(self._total / (frequency + 0.5)))
        return weight

    if TYPE_CHECKING:

        def __call__(self, token: str) -> float: ...

    else:
        __call__ = dict.__getitem__  # a weight, computed by __missing__ the first time

    def norm_of(self, words: frozenset[str]) -> float:
        found = self._norms.get(words)
        if found is None:
            found = self._norms[words] = norm(words, self)
        return found


def judge(
    query: Query, entry: Entry, idf: Rarity, threshold: float, bar: float
) -> tuple[MatchKind, float]:
    """(NEAR_IDENTICAL | UPDATE | RELATED | VETO | NONE, score) for one pair: near-identical
    at token-sort ratio ``threshold`` or above, related at ``bar`` or above."""
    ratio = fuzz.token_sort_ratio(query.headline, entry.headline, score_cutoff=threshold)
    if another_event(query, entry):  # a near-identical one marks its story apart
        return (_VETO, 0.0) if ratio else (_NONE, 0.0)
    if ratio:
        return near_identical(query, entry), ratio
    # Disjoint numbers first (two set reads), then the words: three candidates in five
    # share too few to relate, which is cheaper to tell than whether a name differs (any
    # of the three makes the pair no evidence, so the order changes no verdict).
    if numbers_differ(query, entry):
        return _NONE, 0.0
    score = related(query, entry, idf, bar)
    if score < bar or substituted(query, entry):
        return _NONE, 0.0
    return _RELATED, score * 100


def near_identical(query: Query, entry: Entry) -> MatchKind:
    if substituted(query, entry):
        return _VETO
    if query.numbers == entry.numbers:
        return _NEAR_IDENTICAL
    return _UPDATE if toll_update(query, entry) else _VETO


def toll_update(query: Query, entry: Entry) -> bool:
    """Only casualty counts differ, and the same names are on both sides: the toll grew."""
    entry_tolls = toll_numbers(entry.headline, entry.language)
    if not query.tolls or not entry_tolls:
        return False
    same_rest = query.numbers - query.tolls == entry.numbers - entry_tolls
    return same_rest and query.names == frozenset(entry.names)


def substituted(query: Query, entry: Entry) -> bool:
    """Each side names someone or somewhere the other's headline and lead never mention,
    in any spelling of the name (``monitor.stories.aliases``)."""
    if not query.names or not entry.names:
        return False
    # Their names against our words first: our words are a set already, theirs are not.
    # A name written joined on one side and apart on the other is one name (``own``).
    plurals = s_plurals(query.language, entry.language)  # "PCs" / "PC" is one name
    if not unmentioned(entry.names, query.everything, query.aliases, entry.tokens, plurals=plurals):
        return False
    theirs = set(entry.tokens).union(entry.extra)
    return unmentioned(query.names, theirs, entry.aliases, query.everything, plurals=plurals)


def compared_words(query: Query, entry: Entry) -> tuple[frozenset[str], tuple[str, ...]]:
    """The words two reports are compared by: their headlines', with their leads' when
    both have one (a lead tells one event of a subject from another)."""
    if entry.extra and query.everything != query.tokens:
        return query.everything, entry.tokens + entry.extra
    return query.tokens, entry.tokens


def related(query: Query, entry: Entry, idf: Rarity, floor: float = 0.0) -> float:
    """IDF-weighted cosine of the two headlines (with their leads when both have one);
    0.0 when it is surely below ``floor`` (see :func:`_cosine`)."""
    mine, theirs = compared_words(query, entry)
    shared = shared_words(mine, theirs)
    if len(shared) < _MIN_SHARED:
        return 0.0
    if not any(token in query.names or token in entry.names for token in shared):
        return 0.0
    return _cosine(shared, mine, theirs, idf, floor)


def shared_words(mine: frozenset[str], theirs: Iterable[str]) -> list[str]:
    """Their words that ``mine`` holds too, in their order."""
    # mentioned() compares Arabic proclitic forms; an ASCII word can only be itself
    return [t for t in theirs if t in mine or (not t.isascii() and mentioned(t, mine))]


def _cosine(
    shared: list[str], mine: frozenset[str], theirs: Iterable[str], idf: Rarity, floor: float = 0.0
) -> float:
    """The IDF cosine, or 0.0 when it cannot reach ``floor``: the shared words are some of
    theirs, so their norm is at least the overlap's square root, and sqrt(overlap) / |mine|
    bounds the cosine without reading their words (most candidates stop here)."""
    overlap = math.fsum([idf(token) ** 2 for token in shared])  # exact: no order to depend on
    mine_norm = idf.norm_of(mine)
    if math.sqrt(overlap) < floor * mine_norm * _ROUNDING:
        return 0.0
    norms = mine_norm * norm(theirs, idf)
    return overlap / norms if norms else 0.0


def norm(tokens: Iterable[str], idf: Rarity) -> float:
    return math.sqrt(math.fsum([idf(token) ** 2 for token in tokens]))  # a list: faster


class Whole(Protocol):
    """A candidate story taken as a whole (``monitor.stories.whole.StoryWhole``)."""

    cosine: float

    @property
    def directions(self) -> frozenset[int]: ...

    def words(self, tokens: frozenset[str], idf: Rarity, floor: float = 0.0) -> float: ...


def meaning_score(
    query: Query,
    entry: Entry,
    cosine: float,
    idf: Rarity,
    *,
    same: float,
    across: float,
    whole: Whole | None = None,
) -> float:
    """The score of :func:`meaning` (0 when it does not join)."""
    return meaning(query, entry, cosine, idf, same=same, across=across, whole=whole)[1]


def meaning(
    query: Query,
    entry: Entry,
    cosine: float,
    idf: Rarity,
    *,
    same: float,
    across: float,
    whole: Whole | None = None,
    easing: float = NAME_EASING,
) -> tuple[MatchKind, float]:
    """(SEMANTIC | SHARED_NAMES | NONE, their headlines' closeness in meaning, 0–100): NONE
    below the bar or when a detail tells them apart. In one language the embeddings'
    cosine is averaged with the IDF overlap of their words (either alone joins
    look-alikes: "shares rise on jobs data" and "shares rise on rate cut"), and the bar
    ``same`` is eased by ``easing`` for a pair that shares a rare name (SHARED_NAMES);
    across languages no word is shared, and the cosine must reach the higher ``across``
    bar. With
    ``entry``'s story taken as a ``whole`` (``monitor.stories.whole``), in one language
    the closer of pair and story counts, for the cosine and for the words apart; the
    gates stay the pair's."""
    one_language = same_language(query, entry)
    if no_meaning(query, entry, one_language):
        return _NONE, 0.0
    return ungated_meaning(query, entry, cosine, idf, bars=(same, across, easing), whole=whole)


def no_meaning(query: Query, entry: Entry, one_language: bool) -> bool:
    """Whatever their cosine, the pair is no evidence by meaning: a headline too short to
    be judged so, or a detail that tells them apart (``one_language``: both in one)."""
    return min(len(query.tokens), len(entry.tokens)) < _MIN_WORDS or gated(
        query, entry, one_language
    )


def ungated_meaning(
    query: Query,
    entry: Entry,
    cosine: float,
    idf: Rarity,
    *,
    bars: tuple[float, float, float],
    whole: Whole | None = None,
    beat: float = 0.0,
) -> tuple[MatchKind, float]:
    """:func:`meaning` of a pair :func:`no_meaning` has let through (``bars``: the one
    language bar, the bar across languages and the easing). A caller that checks the gate
    first builds the story's ``whole`` only for pairs in one language that pass it.
    ``beat``: a score (0–100) the caller keeps unless this pair's is higher; in one
    language a pair surely at or below it is NONE, its words not weighed in full."""
    same, across, easing = bars
    if same_language(query, entry):  # an unidentified language is most often the window's own
        return _one_language(query, entry, cosine, idf, bars=(same, easing), whole=whole,
                             beat=beat)  # fmt: skip
    if query.language in _ALIGNED and entry.language in _ALIGNED and cosine >= across:
        return _SEMANTIC, cosine * 100
    # below the bar, or the model was not taught to align these languages: no evidence
    return _NONE, 0.0


def _one_language(
    query: Query,
    entry: Entry,
    cosine: float,
    idf: Rarity,
    *,
    bars: tuple[float, float],
    whole: Whole | None,
    beat: float = 0.0,
) -> tuple[MatchKind, float]:
    """``meaning`` of two reports in one language (``bars``: the bar and its easing;
    ``beat``: see :func:`ungated_meaning`)."""
    same, easing = bars
    if whole is not None:
        if opposed(query.directions, whole.directions):
            return _NONE, 0.0
        cosine = max(cosine, whole.cosine)
    bar = same - easing if easing and rare_name_shared(query, entry, idf) else same
    # Below the floor no score reaches ``bar``, nor passes ``beat``: the words are then
    # bounded, not weighed (``_cosine``), and the pair is NONE (it would not be taken).
    floor = max(_MIN_OVERLAP, 2 * bar - cosine, beat / 50 - cosine)
    mine, theirs = compared_words(query, entry)
    words = _cosine(shared_words(mine, theirs), mine, theirs, idf, floor)
    if whole is not None:
        words = max(words, whole.words(query.tokens, idf, max(floor, words)))
    score = (cosine + words) / 2
    if words < _MIN_OVERLAP or score < bar:
        return _NONE, 0.0
    return (_SEMANTIC if score >= same else _SHARED_NAMES), score * 100


def same_language(query: Query, entry: Entry) -> bool:
    """Both in one language, or either unidentified (most often the window's own)."""
    return query.language == entry.language or not (query.language and entry.language)


def cosine_of(one: npt.NDArray[np.float32], other: npt.NDArray[np.float32]) -> float:
    """The cosine of two vectors; 0 when either is all zeros (a damaged stored vector
    must not stop an article's grouping)."""
    norms = float(np.linalg.norm(one) * np.linalg.norm(other))
    return float(one @ other) / norms if norms else 0.0


def rare_name_shared(query: Query, entry: Entry, idf: Rarity) -> bool:
    """Both headlines give a name few of the window's headlines give (decision 0067)."""
    return any(idf(name) >= _RARE_NAME for name in entry.names if name in query.names)


def gated(query: Query, entry: Entry, same_language: bool) -> bool:
    """A detail tells them apart: opposed directions, other names or other numbers.
    Across languages a name is compared only through its aliases: "Хомс" is not
    "unmentioned" in a French report that writes "Homs", and "Chili" is "Chile"."""
    return another_event(query, entry) or details_differ(query, entry, names=same_language)


def another_event(query: Query, entry: Entry) -> bool:
    """Opposed direction words ("rise" / "slide") or other known names ("turc" / "grec")."""
    return opposed(query.directions, entry.directions) or other_entities(
        query.aliases, entry.aliases
    )


def details_differ(query: Query, entry: Entry, *, names: bool = True) -> bool:
    """A name each side gives that the other never mentions (``names``: as written),
    or disjoint numbers or casualty counts."""
    return numbers_differ(query, entry) or (names and substituted(query, entry))  # cheap first


def numbers_differ(query: Query, entry: Entry) -> bool:
    """Disjoint numbers, or disjoint casualty counts (of headline and lead)."""
    return numbers_conflict(query.numbers, entry.numbers) or numbers_conflict(
        query.counts, entry.counts
    )
