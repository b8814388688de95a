"""A report no single headline joins joins the story that holds several of its nearest
headlines by meaning, each close and none told apart by a detail (decision 0082). Real
embeddings of headlines written for these tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.records import DedupDecision, JoinReason, MatchKind, Verdict
from monitor.stories.embedding import encode_headlines
from monitor.stories.index import StoryIndex
from tests.support.window_background import BACKGROUND, NOW

STORY = [
    "Apple rolls out iOS 8.2 with new Health features and Watch support",
    "Apple releases iOS 8.2 update with Apple Watch app",
    "iOS 8.2 arrives with Apple Watch support and bug fixes",
    "Apple ships iOS 8.2 software update for iPhone and iPad",
    "iOS 8.2 update released for iPhone",
    "Apple pushes out iOS 8.2 update to iPhone owners",
    "iOS 8.2 software update brings Watch pairing",
    "Apple's iOS 8.2 update is here",
]
SHORT = "iOS 8.2 update live"  # few words, each common in the window: no pair is enough
FAR = "iOS 8.2 is out now: what's new?"  # one member within 0.7, not three
_TITLES = BACKGROUND + STORY + [SHORT, FAR]
_VECTORS = dict(zip(_TITLES, encode_headlines(_TITLES), strict=True))


def _window(*, neighbours: bool = True) -> StoryIndex:
    """The background, then the story's eight reports a minute apart."""
    index = StoryIndex(timedelta(hours=48), threshold=88)
    index.neighbours = neighbours
    for number, title in enumerate(BACKGROUND):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=3),
                  language="en", vector=_VECTORS[title])  # fmt: skip
    for minute, title in enumerate(STORY):
        seen = NOW + timedelta(minutes=minute)
        index.add("ios", "ios", title, seen, language="en", vector=_VECTORS[title])
    return index


@pytest.mark.parametrize(
    ("report", "neighbours", "joined"),
    [
        (SHORT, True, ("ios", MatchKind.NEIGHBOURS)),  # several members close: the story
        (SHORT, False, None),  # no single member is evidence enough
        (FAR, True, None),  # too few members close
    ],
)
def test_a_report_close_to_several_members_of_one_story_joins_it(
    report: str, neighbours: bool, joined: tuple[str, MatchKind] | None
) -> None:
    found = _window(neighbours=neighbours).find(
        report, NOW + timedelta(minutes=20), language="en", vector=_VECTORS[report]
    )
    assert (found and (found.story_id, found.kind)) == joined


def test_the_join_scores_the_close_members_mean_cosine() -> None:
    found = _window().find(SHORT, NOW + timedelta(minutes=20), language="en",
                           vector=_VECTORS[SHORT])  # fmt: skip
    assert found is not None and 70.0 <= found.score <= 100.0


def test_replay_tells_a_join_by_neighbours() -> None:
    decision = DedupDecision(Verdict.FOLDED, "s1", "a1", MatchKind.NEIGHBOURS, score=76.0)
    assert decision.joined_by is JoinReason.NEIGHBOURS
    assert decision.joined_by.value == "neighbours"
