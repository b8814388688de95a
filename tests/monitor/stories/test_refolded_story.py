"""A report folded by its link into a story that already left the window puts the story
back into the index as opened when the store says it opened, not now: a late merge
(decision 0093) then keeps the story's own first report, as the store does. Real stores;
headlines written for these tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config.settings import DedupSettings
from monitor.records import MatchKind
from monitor.records.models import DedupDecision, Verdict
from monitor.store.records import StoryFilter
from monitor.store.sql.base import SqlStore
from monitor.stories.dedup import Deduplicator, story_id_for
from tests.monitor.stories.test_split_stories import NEWER_PIECE, OLDER_PIECE, REPORT
from tests.monitor.stories.test_story_merge import _article
from tests.support.stores import STORE_BACKENDS, new_store, store_location
from tests.support.window_background import NOW


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_story_back_by_link_keeps_its_first_report_after_a_late_merge(
    backend: str, tmp_path: Path
) -> None:
    opener = _article(1, OLDER_PIECE[0], NOW - timedelta(hours=49))  # out of the window
    alone_report = _article(2, NEWER_PIECE[0], NOW)
    relinked = replace(
        _article(3, OLDER_PIECE[1], NOW + timedelta(minutes=5)), link=opener.link
    )  # another outlet's copy of the opener's page
    bridge = _article(4, REPORT, NOW + timedelta(minutes=30))
    joined, alone = story_id_for("m1"), story_id_for("m2")
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        dedup = Deduplicator(store, DedupSettings())
        for article in (opener, alone_report, relinked):
            dedup.index.prune(article.fetched_at)  # the opener's story leaves the window
            decision = await dedup.classify(article)
            await store.record_article(article, decision, [])
            dedup.remember(article, decision)
        assert (decision.story_id, decision.evidence) == (joined, MatchKind.LINK)
        assert decision.opened == opener.fetched_at
        assert isinstance(store, SqlStore)
        (known,) = await store.find_articles([relinked])  # the batch lookup says it alike
        assert known is not None and known.first_seen == opener.fetched_at
        merge = DedupDecision(Verdict.FOLDED, joined, "m1", MatchKind.RELATED, absorbed=(alone,))
        await store.record_article(bridge, merge, [])
        dedup.remember(bridge, merge)

        (story,) = await store.find_stories(StoryFilter(story_id=joined), limit=1)
        assert (story.first_seen, story.link) == (opener.fetched_at, opener.link)
        assert dedup.index._stories[joined].first_article_id == "m1"
        await store.close()
