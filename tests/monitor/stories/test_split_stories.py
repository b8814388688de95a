"""A story split early (two pieces of one event) grows in its older piece: a report whose
words reach both joins the older when the two pieces, taken as wholes, tell one event;
a look-alike story the words also reach does not draw it (decision 0070). Real
embeddings of headlines written for these tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.records import MatchKind
from monitor.stories.embedding import encode_headlines
from monitor.stories.index import StoryIndex
from tests.support.window_background import BACKGROUND, NOW

OLDER_PIECE = [
    "Grindavik evacuated as lava bursts from fissure on Reykjanes peninsula",
    "Volcano erupts on Reykjanes peninsula, Grindavik evacuated",
]
NEWER_PIECE = [
    "Lava flows toward Grindavik after eruption on Reykjanes peninsula",
    "Eruption sends lava toward Grindavik on Reykjanes peninsula",
]
LOOK_ALIKE = [  # the same place and day, another event: the fishing fleet leaving
    "Grindavik fishing fleet leaves Reykjanes peninsula harbour after eruption warning",
    "Reykjanes peninsula: Grindavik trawlers sail out as lava bursts threaten harbour",
]
REPORT = "Lava bursts toward Grindavik after eruption on Reykjanes peninsula"
_TITLES = BACKGROUND + OLDER_PIECE + NEWER_PIECE + LOOK_ALIKE + [REPORT]
_VECTORS = dict(zip(_TITLES, encode_headlines(_TITLES), strict=True))


def _window(older: list[str], *, by_meaning: bool = True) -> StoryIndex:
    """The background, then ``older`` as story "older" and the newer piece as "newer",
    a minute apart."""
    index = StoryIndex(timedelta(hours=48), threshold=88, by_meaning=by_meaning)
    for number, title in enumerate(BACKGROUND):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=3),
                  language="en", vector=_VECTORS[title])  # fmt: skip
    pieces = [("older", title) for title in older] + [("newer", t) for t in NEWER_PIECE]
    for minute, (story, title) in enumerate(pieces):
        seen = NOW + timedelta(minutes=minute)
        index.add(story, story, title, seen, language="en", vector=_VECTORS[title])
    return index


@pytest.mark.parametrize(
    ("older", "by_meaning", "joined"),
    [
        (OLDER_PIECE, True, ("older", MatchKind.RELATED)),  # one event: the older piece
        (LOOK_ALIKE, True, ("newer", MatchKind.NEAR_IDENTICAL)),  # another event: nearest
        (OLDER_PIECE, False, ("newer", MatchKind.NEAR_IDENTICAL)),  # no vectors: nearest
    ],
)
def test_a_report_reaching_two_pieces_of_one_event_joins_the_older(
    older: list[str], by_meaning: bool, joined: tuple[str, MatchKind]
) -> None:
    index = _window(older, by_meaning=by_meaning)
    seen = NOW + timedelta(minutes=30)
    found = index.find(REPORT, seen, language="en", vector=_VECTORS[REPORT])
    assert found is not None and (found.story_id, found.kind) == joined
