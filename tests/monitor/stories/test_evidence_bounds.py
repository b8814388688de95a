"""The related and semantic tiers rule a pair out by an upper bound on its IDF cosine
before reading the other report's words: the verdict must be the one the full cosine
gives, and the other's unshared words must not be read when the bound rules it out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.stories.evidence import (
    Entry,
    IndexedStory,
    Query,
    Rarity,
    meaning_score,
    related,
    ungated_meaning,
)

# A window of 1,000 entries: word -> how many of them hold it (rarer words weigh more).
FREQUENCY = {"ankara": 3, "quake": 5, "kills": 40, "turkey": 20, "rescue": 30, "teams": 60,
             "night": 200, "market": 90, "shares": 80, "rise": 70, "coast": 25, "storm": 12,
             "dozens": 50, "village": 35, "mayor": 15, "aid": 45, "ministers": 55}  # fmt: skip
POSTINGS = {word: list(range(count)) for word, count in FREQUENCY.items()}


class Recorded(dict[str, list[int]]):
    """Postings that remember which words' frequencies were asked for."""

    def __init__(self) -> None:
        super().__init__(POSTINGS)
        self.asked: set[str] = set()

    def get(self, key: str, default: list[int] | None = None) -> list[int] | None:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def query(words: str, names: str = "", lead: str = "") -> Query:
    tokens = frozenset(words.split())
    return Query(words, tokens, tokens | frozenset(lead.split()), frozenset(names.split()),
                 frozenset(), frozenset(), frozenset(), "en", frozenset(), frozenset())  # fmt: skip


def entry(words: str, names: str = "", lead: str = "") -> Entry:
    tokens = tuple(sorted(words.split()))
    extra = tuple(sorted(set(lead.split()) - set(tokens)))
    story = IndexedStory("s", "a", datetime(2026, 1, 1, tzinfo=UTC))
    return Entry(story, words, tokens, extra, tuple(names.split()), frozenset(), frozenset(),
                 0.0, "en", frozenset(), frozenset(), 0.0)  # fmt: skip


PAIRS = [  # (query words, query names, entry words, entry names)
    ("ankara quake kills dozens", "ankara", "ankara quake kills dozens village", "ankara"),
    ("ankara quake kills dozens", "ankara", "quake kills dozens ankara mayor aid", "ankara"),
    ("turkey quake rescue teams night", "turkey", "turkey quake rescue storm coast", "turkey"),
    ("turkey quake rescue teams night market shares rise", "turkey",
     "turkey quake rescue storm coast mayor aid ministers village", "turkey"),
    ("shares rise market night", "market", "shares rise market storm coast village", "market"),
]  # fmt: skip
FLOORS = [0.05, 0.2, 0.4, 0.6, 0.8, 0.95]


@pytest.mark.parametrize(("mine", "my_names", "theirs", "their_names"), PAIRS)
@pytest.mark.parametrize("floor", FLOORS)
def test_a_bounded_related_score_is_the_exact_one_or_surely_below_the_floor(
    mine: str, my_names: str, theirs: str, their_names: str, floor: float
) -> None:
    pair = query(mine, my_names), entry(theirs, their_names)
    exact = related(*pair, Rarity(POSTINGS, 1000))
    bounded = related(*pair, Rarity(POSTINGS, 1000), floor)
    assert exact > 0.0  # every pair shares enough words, a name among them
    assert bounded == exact if exact >= floor else bounded in (0.0, exact)


def test_a_pair_the_bound_rules_out_does_not_read_the_other_reports_words() -> None:
    mine = query("turkey quake rescue teams night market shares rise", "turkey")
    theirs = entry("turkey quake rescue storm coast mayor aid ministers village", "turkey")
    postings = Recorded()
    assert related(mine, theirs, Rarity(postings, 1000), 0.9) == 0.0
    assert postings.asked.isdisjoint({"storm", "coast", "mayor", "aid", "ministers", "village"})
    postings = Recorded()  # with no floor, the cosine reads them all
    assert related(mine, theirs, Rarity(postings, 1000)) > 0.0
    assert {"storm", "coast", "mayor", "aid", "ministers", "village"} <= postings.asked


@pytest.mark.parametrize("cosine", [0.3, 0.6, 0.75, 0.9, 0.99])
@pytest.mark.parametrize("same", [0.5, 0.6])
def test_the_semantic_score_is_the_one_the_full_word_overlap_gives(
    cosine: float, same: float
) -> None:
    """meaning_score bounds the words' overlap by what the bar needs; against the words'
    exact cosine (floor 0), the score is unchanged."""
    for mine, my_names, theirs, their_names in PAIRS:
        pair = query(mine, my_names), entry(theirs, their_names)
        words = related(*pair, Rarity(POSTINGS, 1000))
        expected = (
            (cosine + words) / 2 * 100 if words >= 0.2 and (cosine + words) / 2 >= same else 0.0
        )
        score = meaning_score(*pair, cosine, Rarity(POSTINGS, 1000), same=same, across=0.7)
        assert score == expected


@pytest.mark.parametrize("cosine", [0.3, 0.6, 0.75, 0.9, 0.99])
@pytest.mark.parametrize("beat", [0.0, 40.0, 55.0, 62.5, 70.0, 90.0])
def test_a_pair_that_cannot_pass_the_score_to_beat_is_none_and_any_other_keeps_its_score(
    cosine: float, beat: float
) -> None:
    """The semantic tier keeps its best neighbour unless one scores higher: a pair whose
    score is at or below ``beat`` may come back NONE, any other exactly as without it."""
    for mine, my_names, theirs, their_names in PAIRS:
        pair = query(mine, my_names), entry(theirs, their_names)
        bars = (0.5, 0.7, 0.0)
        plain = ungated_meaning(*pair, cosine, Rarity(POSTINGS, 1000), bars=bars)
        bounded = ungated_meaning(*pair, cosine, Rarity(POSTINGS, 1000), bars=bars, beat=beat)
        assert bounded == plain if plain[1] > beat else bounded[1] <= beat


def test_a_pair_below_the_score_to_beat_does_not_read_the_other_reports_words() -> None:
    mine = query("turkey quake rescue teams night market shares rise", "turkey")
    theirs = entry("turkey quake rescue storm coast mayor aid ministers village", "turkey")
    unread = {"storm", "coast", "mayor", "aid", "ministers", "village"}
    postings = Recorded()
    ungated_meaning(mine, theirs, 0.9, Rarity(postings, 1000), bars=(0.5, 0.7, 0.0), beat=99.0)
    assert postings.asked.isdisjoint(unread)
    postings = Recorded()  # with nothing to beat, its words are weighed
    ungated_meaning(mine, theirs, 0.9, Rarity(postings, 1000), bars=(0.5, 0.7, 0.0))
    assert unread <= postings.asked
