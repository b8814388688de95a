"""Retention's tombstones: a pruned entry its feed still lists is seen, not news, and raises no
alert; tombstones expire; a tombstone follows its story into the story that absorbs it
(migration 0024 included)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import Config, load_config
from monitor.daemon.daemon import Daemon
from monitor.ingest.pipeline import PollOutcome
from monitor.records import article_id
from monitor.records.models import DedupDecision, Verdict
from monitor.store import KnownArticle
from monitor.store.interface import BatchIngestStore, Store
from monitor.store.retention import run_retention
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.retention import DEFAULTS, FEED, NOW, WINDOW
from tests.support.retention import article_at as _article
from tests.support.retention import report as _report
from tests.support.retention import retain as _retain
from tests.support.stores import STORE_BACKENDS, migrated_store, opened_store


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


async def test_a_pruned_entry_back_in_its_feed_is_seen_not_news(store: Store) -> None:
    article = await _report(store, "g1", 100, story="s1")
    await _retain(store)
    assert await store.known_guids(FEED, ["g1", "g2"]) == {"g1"}
    known = await store.find_article(FEED, "g1", article.link)
    assert known is not None and (known.feed_url, known.story_id) == (FEED, "s1")


async def test_tombstones_expire(store: Store) -> None:
    await _report(store, "g1", 100, story="s1")
    await _retain(store)
    later = await run_retention(store, DEFAULTS, NOW + timedelta(days=400), window=WINDOW)
    assert later.pruned["tombstones"] == 1
    assert await store.known_guids(FEED, ["g1"]) == set()


def _feed(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid></item>" for guid, title in items
    )
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
{entries}</channel></rss>""".encode()


async def test_an_entry_its_feed_still_lists_raises_no_alert_after_pruning(tmp_path: Path) -> None:
    """A quiet feed lists a 100-day-old entry: its article, alert and story are pruned,
    and the next poll must not take the entry for news and alert on it again."""
    with FeedServer() as server:
        server.add_feed("/feed.xml", _feed(("w-1", "Iranian troops reach Latakia")))
        config = load_config(one_feed_config(tmp_path, server.url("/feed.xml")))
        first = await _run_once(config, NOW)
        assert sum(outcome.alerts for outcome in first) == 1
        later = NOW + timedelta(days=100)
        server.add_feed(
            "/feed.xml",
            _feed(("w-2", "Harvest festival opens"), ("w-1", "Iranian troops reach Latakia")),
        )
        daemon = await Daemon.build(config, clock=lambda: later)
        try:
            report = await daemon.retain()
            assert report is not None
            expected = {"alerts": 1, "articles": 1, "stories": 1, "tombstones": 0, "surges": 0}
            assert report.pruned == expected
            outcomes = await daemon.run_once()
            rows = (await daemon.store.database_stats()).rows
        finally:
            await daemon.close()
    assert [outcome.status for outcome in outcomes] == ["ok"]
    assert sum(outcome.alerts for outcome in outcomes) == 0
    assert (rows["articles"], rows["alerts"], rows["pruned_articles"]) == (1, 0, 1)


async def _run_once(config: Config, now: datetime) -> list[PollOutcome]:
    daemon = await Daemon.build(config, clock=lambda: now)
    try:
        return await daemon.run_once()
    finally:
        await daemon.close()


async def test_a_tombstone_follows_its_story_into_the_story_that_absorbs_it(store: Store) -> None:
    """An article pruned from a story later merged into another (decision 0070): its
    entry, listed again by its feed, is seen in the survivor, never in the absorbed story
    (whose id only answers with the survivor, and may itself be pruned)."""
    await _report(store, "g-piece", 40, story="s-newer")
    await _report(store, "g-chain", 40, story="s-newest")
    await _report(store, "g-keep", 1, story="s-older")
    assert (await _retain(store))["articles"] == 2  # tombstones naming s-newer, s-newest
    for absorbed, survivor in (("s-newest", "s-newer"), ("s-newer", "s-older")):
        bridge = _article(f"g-bridge-{absorbed}", NOW)
        merge = DedupDecision(Verdict.FOLDED, survivor, absorbed=(absorbed,))
        await store.record_article(bridge, merge, [])
    for guid in ("g-piece", "g-chain"):
        seen = await store.find_article(FEED, guid, f"http://one.test/{guid}")
        assert seen is not None and seen.story_id == "s-older", guid
        batched = await _found_in_batch(store, guid)
        assert batched is not None and batched.story_id == "s-older", guid


async def _found_in_batch(store: Store, guid: str) -> KnownArticle | None:
    """What the batched lookup ingest makes (PostgreSQL's own query) finds for ``guid``."""
    assert isinstance(store, BatchIngestStore)
    (found,) = await store.find_articles([_article(guid, NOW)])
    return found


# --- a schema-23 database with merges made before migration 0024 -------------------------
# Stories s-newest and s-newer were merged into s-older (a merge of a merge: story_merges
# names the last survivor, as the merge always wrote it); the tombstones of their pruned
# articles still name them, as merges before 0024 left them. s-other was never merged.
_BEFORE_0024 = (
    *(
        "INSERT INTO stories (story_id, first_article_id, title, first_seen, last_seen, "
        f"merged_into) VALUES ('{story}', 'a-{story}', 'Old', '2026-10-01T09:00:00+00:00', "
        f"'2026-10-01T09:00:00+00:00', {merged})"
        for story, merged in (
            ("s-older", "NULL"), ("s-newer", "'s-older'"), ("s-newest", "'s-older'"),
            ("s-other", "NULL"),
        )
    ),
    *(
        "INSERT INTO story_merges (absorbed_id, survivor_id, article_id, merged_at) VALUES "
        f"('{absorbed}', 's-older', 'a-bridge-{absorbed}', '2026-10-20T09:00:00+00:00')"
        for absorbed in ("s-newer", "s-newest")
    ),
    *(
        "INSERT INTO pruned_articles (article_id, story_id, pruned_at) VALUES "
        f"('{article_id(FEED, guid)}', '{story}', '2026-10-31T09:00:00+00:00')"
        for guid, story in (("g-piece", "s-newer"), ("g-chain", "s-newest"), ("g-lone", "s-other"))
    ),
)  # fmt: skip


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_migration_24_moves_tombstones_left_by_earlier_merges_to_the_survivor(
    backend: str, tmp_path: Path
) -> None:
    async with migrated_store(backend, tmp_path, 23, _BEFORE_0024) as store:
        for guid, story in (("g-piece", "s-older"), ("g-chain", "s-older"), ("g-lone", "s-other")):
            seen = await store.find_article(FEED, guid, f"http://one.test/{guid}")
            assert seen is not None and seen.story_id == story, guid
            batched = await _found_in_batch(store, guid)
            assert batched is not None and batched.story_id == story, guid
