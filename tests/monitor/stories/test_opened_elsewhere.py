"""A story another daemon opened on a shared store: found, scored, looked up only when it can be."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config.settings import DedupSettings
from monitor.store import WindowArticle
from monitor.stories.dedup import Deduplicator
from monitor.stories.index import StoryMatch
from monitor.stories.shared import SharedStories
from tests.support.dedup_articles import NOW, PROBE, make_article, sqlite_store


async def test_a_story_another_daemon_opened_carries_the_score_that_joined_it(
    tmp_path: Path,
) -> None:
    """On a shared store, an article this daemon would open a story for joins the one
    another daemon opened: the score of that judgement goes with it."""
    store = await sqlite_store(tmp_path / "shared.db")
    dedup = Deduplicator(store, DedupSettings())
    shared = SharedStories(dedup, clock=lambda: NOW)
    mine = make_article(
        "a2",
        "http://two/feed",
        "g2",
        "Iranian troops arrive in Latakia as the Homs offensive nears",
    )
    decision = dedup.decide(mine, None)
    shared.learn([WindowArticle("s_theirs", "a1", PROBE, "", NOW)])
    found = shared.opened_elsewhere([(mine, decision)])
    await store.close()
    assert decision.joined_by == "new_story"
    theirs = found[decision.story_id]
    assert (theirs.story_id, theirs.evidence) == ("s_theirs", "near_identical")
    assert theirs.score is not None and 88.0 <= theirs.score <= 100.0


async def test_the_recent_index_is_scanned_for_stale_articles_only_once_one_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write that opens a story asks whether another daemon opened it; the recent
    index's prune scans all its entries, so it runs only once a learned batch has left the
    window: the story is found for the whole window and no longer after it."""
    store = await sqlite_store(tmp_path / "shared.db")
    dedup = Deduplicator(store, DedupSettings())
    now = [NOW]
    shared = SharedStories(dedup, clock=lambda: now[0])
    pruned: list[datetime] = []
    prune = shared._recent.prune

    def counted(at: datetime) -> int:
        pruned.append(at)
        return prune(at)

    monkeypatch.setattr(shared._recent, "prune", counted)
    mine = make_article("a2", "http://two/feed", "g2", PROBE)
    decision = dedup.decide(mine, None)
    shared.learn([WindowArticle("s_theirs", "a1", PROBE, "", NOW)])
    found = []
    for minutes in (1, 3, 4, 6, 7):
        now[0] = NOW + timedelta(minutes=minutes)
        found.append(decision.story_id in shared.opened_elsewhere([(mine, decision)]))
    await store.close()
    assert found == [True, True, True, False, False]
    assert pruned == [NOW + timedelta(minutes=6)]


async def test_an_empty_recent_index_is_not_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A story about to open is looked up among other daemons' recent articles only while
    there are some: one daemon alone, or one whose learned articles all left the window,
    reads no text for a lookup that cannot find anything."""
    store = await sqlite_store(tmp_path / "shared.db")
    dedup = Deduplicator(store, DedupSettings())
    now = [NOW]
    shared = SharedStories(dedup, clock=lambda: now[0])
    looked: list[str] = []
    find = shared._recent.find

    def counted(title: str, *args: Any, **kwargs: Any) -> StoryMatch | None:
        looked.append(title)
        return find(title, *args, **kwargs)

    monkeypatch.setattr(shared._recent, "find", counted)
    mine = make_article("a2", "http://two/feed", "g2", PROBE)
    decision = dedup.decide(mine, None)
    found = [decision.story_id in shared.opened_elsewhere([(mine, decision)])]
    shared.learn([WindowArticle("s_theirs", "a1", PROBE, "", NOW)])
    for minutes in (1, 6):
        now[0] = NOW + timedelta(minutes=minutes)
        found.append(decision.story_id in shared.opened_elsewhere([(mine, decision)]))
    await store.close()
    assert found == [False, True, False]
    assert looked == [PROBE]
