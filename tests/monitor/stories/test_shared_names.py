"""A name both reports give that the window rarely gives eases the one-language semantic
bar by NAME_EASING, and the join says so (``shared_names``); a common name, a name one
side does not give, a score further below the bar or a gate leave the pair apart
(docs/decisions/0067-shared-names.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.records import DedupDecision, JoinReason, MatchKind, Verdict
from monitor.stories.evidence import (
    NAME_EASING,
    Entry,
    IndexedStory,
    Query,
    Rarity,
    meaning,
    related,
)

SAME = 0.48  # the recent one-language bar
WINDOW = 1000  # entries in the window
# word -> how many windowed entries hold it; "grindavik" is in none of them (rare)
FREQUENCY = {"lava": 4, "eruption": 6, "fountains": 8, "residents": 30, "town": 60,
             "iceland": 300}  # fmt: skip
POSTINGS = {word: list(range(count)) for word, count in FREQUENCY.items()}
MINE = "grindavik iceland lava eruption residents"
THEIRS = "grindavik iceland lava eruption fountains town"


def query(words: str, names: str, numbers: str = "") -> Query:
    tokens = frozenset(words.split())
    return Query(words, tokens, tokens, frozenset(names.split()), frozenset(numbers.split()),
                 frozenset(), frozenset(), "en", frozenset(), frozenset())  # fmt: skip


def entry(words: str, names: str, numbers: str = "") -> Entry:
    tokens = tuple(sorted(words.split()))
    story = IndexedStory("s", "a", datetime(2026, 1, 1, tzinfo=UTC))
    return Entry(story, words, tokens, (), tuple(names.split()), frozenset(numbers.split()),
                 frozenset(), 0.0, "en", frozenset(), frozenset(), 0.0)  # fmt: skip


def judged(pair: tuple[Query, Entry], below: float) -> MatchKind:
    """The verdict for a cosine that puts the pair's score ``below`` the bar."""
    idf = Rarity(POSTINGS, WINDOW)
    words = related(*pair, idf)
    assert words >= 0.2  # the words overlap enough for the semantic tier
    cosine = 2 * (SAME - below) - words
    kind, score = meaning(*pair, cosine, idf, same=SAME, across=0.7)
    assert score == (pytest.approx((SAME - below) * 100) if kind else 0.0)
    return kind


CASES = [  # (query names, entry names, score below the bar, verdict)
    ("grindavik iceland", "grindavik iceland", -0.01, MatchKind.SEMANTIC),
    ("grindavik iceland", "grindavik iceland", NAME_EASING / 2, MatchKind.SHARED_NAMES),
    ("grindavik iceland", "grindavik iceland", NAME_EASING * 1.5, MatchKind.NONE),
    ("iceland", "iceland", NAME_EASING / 2, MatchKind.NONE),  # a common name only
    ("grindavik iceland", "iceland", NAME_EASING / 2, MatchKind.NONE),  # one side's name only
]


@pytest.mark.parametrize(("my_names", "their_names", "below", "verdict"), CASES)
def test_a_rare_shared_name_eases_the_bar_and_names_the_join(
    my_names: str, their_names: str, below: float, verdict: MatchKind
) -> None:
    assert judged((query(MINE, my_names), entry(THEIRS, their_names)), below) is verdict


def test_a_rare_shared_name_does_not_override_a_gate() -> None:
    """Disjoint numbers keep the pair apart however rare the name both give."""
    pair = query(MINE, "grindavik", "3"), entry(THEIRS, "grindavik", "7")
    kind, _ = meaning(*pair, 0.99, Rarity(POSTINGS, WINDOW), same=SAME, across=0.7)
    assert kind is MatchKind.NONE


def test_replay_tells_a_join_by_shared_names() -> None:
    decision = DedupDecision(Verdict.FOLDED, "s1", "a1", MatchKind.SHARED_NAMES, score=47.0)
    assert decision.joined_by is JoinReason.SHARED_NAMES
    assert decision.joined_by.value == "shared_names"
