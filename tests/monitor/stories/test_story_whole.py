"""A story taken as a whole: a new report may match what a story's reports say together
(their centroid, their words) though no single one of them is close enough; look-alikes
(another place, the opposite direction) still stay apart, and a restart rebuilds the same
whole from the windowed members. Real embeddings of headlines written for these tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from monitor.config.settings import DedupSettings
from monitor.records.models import Article, DedupDecision, MatchKind, Verdict
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator
from monitor.stories.embedding import encode_headlines
from monitor.stories.index import StoryIndex
from monitor.stories.whole import with_centroid
from tests.support.window_background import BACKGROUND, NOW

ERUPTION = [
    "Volcano erupts on Iceland's Reykjanes peninsula, forcing evacuation of Grindavik",
    "Grindavik evacuated as lava bursts from fissure on Reykjanes peninsula",
    "Icelandic town of Grindavik emptied as volcano erupts nearby",
    "Lava flows toward Grindavik after eruption in southwest Iceland",
]
FLEE = "Iceland volcano: Grindavik residents flee as lava fountains rise"
LOOK_ALIKES = [
    "Italy volcano: Catania residents flee as lava fountains rise",  # another place
    "Iceland volcano: Grindavik residents return as lava fountains subside",  # opposite
    "Volcano erupts on Indonesia's Java island, forcing evacuation of villages",
]
_VECTORS = dict(zip(BACKGROUND + ERUPTION, encode_headlines(BACKGROUND + ERUPTION), strict=True))


def _window(stories: list[str], *, first_seen: datetime = NOW) -> StoryIndex:
    """The background, then the eruption's reports a minute apart, each filed under the
    story id ``stories`` gives it."""
    index = StoryIndex(timedelta(hours=48), threshold=88)
    for number, title in enumerate(BACKGROUND):
        seen = NOW - timedelta(hours=3)
        index.add(f"bg{number}", f"bg{number}", title, seen, language="en",
                  vector=_VECTORS[title])  # fmt: skip
    for minute, (story, title) in enumerate(zip(stories, ERUPTION, strict=True)):
        seen = first_seen + timedelta(minutes=minute)
        index.add(story, story, title, seen, language="en", vector=_VECTORS[title])
    return index


def _found(index: StoryIndex, title: str) -> tuple[str, MatchKind] | None:
    [vector] = encode_headlines([title])
    found = index.find(title, NOW + timedelta(hours=1), language="en", vector=vector)
    return (found.story_id, found.kind) if found is not None else None


def test_a_report_joins_the_story_its_reports_tell_together() -> None:
    assert _found(_window(["s1"] * 4), FLEE) == ("s1", MatchKind.SEMANTIC)


def test_the_same_reports_as_four_stories_do_not_take_it() -> None:
    """The same window, word for word: only the story's whole tells the report apart."""
    assert _found(_window(["s1", "s2", "s3", "s4"]), FLEE) is None


@pytest.mark.parametrize("title", LOOK_ALIKES, ids=["another-place", "opposite", "another"])
def test_look_alikes_stay_apart_from_the_whole(title: str) -> None:
    assert _found(_window(["s1"] * 4), title) is None


def test_a_story_is_not_read_whole_for_neighbours_a_detail_tells_apart() -> None:
    """Another place's report: every eruption report among its neighbours is told apart by
    a name, so the story's whole would decide nothing, and its centroid is left unread
    (reading it waits for the vector window's adds); a report that may join reads it."""
    index = _window(["s1"] * 4)
    story = index._stories["s1"]
    assert story.recent is not None  # its centroid still to read
    assert _found(index, LOOK_ALIKES[0]) is None
    assert story.recent is not None and story.centroid is None
    assert _found(index, FLEE) == ("s1", MatchKind.SEMANTIC)
    assert story.recent is None and story.centroid is not None


def test_a_story_whole_is_its_windowed_members_only() -> None:
    """Its first two reports leave the window: the story's whole is then what a
    restarted daemon, which never saw them, builds from the last two."""
    ran = _window(["s1"] * 4, first_seen=NOW - timedelta(hours=47, minutes=59))
    ran.prune(NOW + timedelta(minutes=2, seconds=1))
    restarted = StoryIndex(timedelta(hours=48), threshold=88)
    for minute, title in enumerate(ERUPTION[2:], start=2):
        seen = NOW - timedelta(hours=47, minutes=59) + timedelta(minutes=minute)
        restarted.add("s1", "s1", title, seen, language="en", vector=_VECTORS[title])
    assert ran.entries == 2 + len(BACKGROUND)
    stories = [with_centroid(index._stories["s1"], index._vectors) for index in (ran, restarted)]
    centroids = [story.centroid for story in stories]
    assert centroids[0] is not None and centroids[1] is not None
    assert np.array_equal(centroids[0], centroids[1])


def _article(number: int, title: str) -> Article:
    return Article(
        article_id=f"a{number}", feed_url=f"http://{number}.test/feed", feed_name=f"{number}",
        guid=f"g{number}", title=title, link=f"http://{number}.test/{number}", summary="",
        content="", published=None, fetched_at=NOW, language="en",
        embedding=_VECTORS.get(title) or encode_headlines([title])[0],
    )  # fmt: skip


def _filed(title: str, number: int) -> DedupDecision:
    if title not in ERUPTION:
        return DedupDecision(Verdict.NEW_STORY, f"bg{number}")
    if title == ERUPTION[0]:
        return DedupDecision(Verdict.NEW_STORY, "s1")
    return DedupDecision(Verdict.FOLDED, "s1", f"a{len(BACKGROUND)}", MatchKind.SEMANTIC)


async def test_a_daemon_warmed_from_the_store_folds_it_into_the_story(tmp_path: Path) -> None:
    """The eruption's reports are stored as one story; a new daemon warmed from the store
    (and again after a reload) folds the later report in by the story's whole."""
    store = SqliteStore(str(tmp_path / "whole.db"))
    await store.open()
    try:
        for number, title in enumerate(BACKGROUND + ERUPTION):
            await store.record_article(_article(number, title), _filed(title, number), [])
        dedup = Deduplicator(store, DedupSettings())
        for warm in (dedup.load, dedup.reload):
            await warm(NOW)
            decision = await dedup.classify(_article(99, FLEE))
            assert (decision.verdict, decision.story_id) == (Verdict.FOLDED, "s1")
            assert decision.evidence is MatchKind.SEMANTIC
    finally:
        await store.close()
