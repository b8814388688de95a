"""Warming the story index at start, on both stores: from a snapshot with the articles
stored after it replayed, and from the store when the snapshot cannot be trusted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from monitor.config.settings import DedupSettings
from monitor.feeds.normalise import content_fingerprint
from monitor.records.models import Article, Verdict
from monitor.store.interface import Store
from monitor.stories import SharedStories, WatchedStories
from monitor.stories.dedup import Deduplicator
from monitor.stories.warmup import StoryWarmup
from tests.support.stores import STORE_BACKENDS, new_store, store_location

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LANDING = "Iranian troops arrive in Latakia airbase"
STRIKES = "Air strikes kill 14 in Homs, monitor says"


class _Written:
    """The ingest writer with nothing queued (the daemon's waits for its queue)."""

    stale = False

    async def flushed(self) -> None:
        return None


def _article(
    article_id: str, title: str, fetched: datetime = NOW, published: datetime | None = None
) -> Article:
    return Article(
        article_id=article_id, feed_url=f"http://{article_id}/feed", feed_name=article_id,
        guid=article_id, title=title, link=f"http://{article_id}/1", summary="", content="",
        published=published, fetched_at=fetched, fingerprint=content_fingerprint(title, ""),
    )  # fmt: skip


async def _stored(store: Store, dedup: Deduplicator, article: Article) -> None:
    decision = await dedup.classify(article)
    await store.record_article(article, decision, [])
    dedup.remember(article, decision)


async def _warmed(store: Store, path: Path) -> tuple[Deduplicator, dict[str, Any]]:
    """A fresh index warmed at NOW, and what its warm-up logged."""
    dedup = Deduplicator(store, DedupSettings())
    with capture_logs() as logs:
        await StoryWarmup(store, dedup, path, lambda: NOW).warm()
    warmed = [line for line in logs if line["event"] == "story_index_warmed"]
    ignored = [line["reason"] for line in logs if line["event"] == "story_snapshot_ignored"]
    return dedup, {**warmed[0], "ignored": ignored}


async def _verdict(dedup: Deduplicator, article_id: str, title: str) -> Verdict:
    return (await dedup.classify(_article(article_id, title))).verdict


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_restart_loads_the_snapshot_and_replays_what_was_stored_after_it(
    backend: str, tmp_path: Path
) -> None:
    snapshot = tmp_path / "wirewatch.stories"
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        dedup, first = await _warmed(store, snapshot)
        if isinstance(store, WatchedStories):  # as the daemon shares its store's stories
            store.watch_stories(SharedStories(dedup))
        assert (first["source"], first["articles"]) == ("store", 0)
        for number, title in enumerate([LANDING, "UPDATE 1-" + LANDING]):
            await _stored(store, dedup, _article(f"a{number}", title))
        warmup = StoryWarmup(store, dedup, snapshot, lambda: NOW)
        warmup.ready = True  # as warmed above
        await warmup.save(asyncio.Lock(), _Written())
        await store.close()
        # stored after the snapshot, by another daemon (or one that crashed before saving)
        other = new_store(backend, location)
        await other.open()
        await _stored(other, Deduplicator(other, DedupSettings()), _article("a2", STRIKES))
        await other.close()

        store = new_store(backend, location)  # the restart
        await store.open()
        dedup, log = await _warmed(store, snapshot)
        assert (log["source"], log["articles"], log["replayed"]) == ("snapshot", 2, 1)  # a copy: 1
        assert await _verdict(dedup, "a8", LANDING + " (AFP)") is Verdict.FOLDED
        assert await _verdict(dedup, "a9", STRIKES + " (AFP)") is Verdict.FOLDED  # replayed
        assert await _verdict(dedup, "a10", "Ceasefire holds in Idlib") is Verdict.NEW_STORY
        await store.close()


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_snapshot_that_cannot_be_trusted_is_ignored_and_the_store_read_whole(
    backend: str, tmp_path: Path
) -> None:
    snapshot, foreign = tmp_path / "wirewatch.stories", tmp_path / "other.stories"
    async with store_location(backend, tmp_path / "other") as other_location:
        other = new_store(backend, other_location) if backend != "sqlite" else None
        (tmp_path / "other").mkdir()
        other = other or new_store(backend, str(tmp_path / "other" / "store.db"))
        await other.open()
        other_dedup, _ = await _warmed(other, foreign)
        if isinstance(other, WatchedStories):
            other.watch_stories(SharedStories(other_dedup))
        await _stored(other, other_dedup, _article("b0", "Turkish parliament approves troops"))
        warmup = StoryWarmup(other, other_dedup, foreign, lambda: NOW)
        warmup.ready = True
        await warmup.save(asyncio.Lock(), _Written())
        await other.close()
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        dedup, _ = await _warmed(store, snapshot)
        empty = StoryWarmup(store, Deduplicator(store, DedupSettings()), snapshot, lambda: NOW)
        empty.ready = True
        await empty.save(asyncio.Lock(), _Written())
        cases = [  # (the snapshot file, why it is not used)
            (snapshot.read_bytes(), "taken with no article stored"),
            (b"not a snapshot", "not a story index snapshot"),
            (foreign.read_bytes(), "the store does not hold its mark's article"),
        ]
        await _stored(store, dedup, _article("a0", LANDING))
        for content, reason in cases:
            snapshot.write_bytes(content)
            dedup, log = await _warmed(store, snapshot)
            assert (log["source"], log["articles"], log["ignored"]) == ("store", 1, [reason])
            assert await _verdict(dedup, "a8", LANDING + " (AFP)") is Verdict.FOLDED
        await store.close()


async def test_a_snapshot_older_than_the_window_is_ignored(tmp_path: Path) -> None:
    snapshot = tmp_path / "wirewatch.stories"
    store = new_store("sqlite", str(tmp_path / "store.db"))
    await store.open()
    dedup, _ = await _warmed(store, snapshot)
    await _stored(store, dedup, _article("a0", LANDING))
    warmup = StoryWarmup(store, dedup, snapshot, lambda: NOW - timedelta(hours=49))
    warmup.ready = True
    await warmup.save(asyncio.Lock(), _Written())
    _, log = await _warmed(store, snapshot)
    assert (log["source"], log["ignored"]) == ("store", ["older than the dedup window"])
    await store.close()


async def test_no_snapshot_is_written_before_the_index_is_warm_or_after_a_failed_write(
    tmp_path: Path,
) -> None:
    snapshot = tmp_path / "wirewatch.stories"
    store = new_store("sqlite", str(tmp_path / "store.db"))
    await store.open()
    warmup = StoryWarmup(store, Deduplicator(store, DedupSettings()), snapshot, lambda: NOW)
    await warmup.save(asyncio.Lock(), _Written())  # a partial index is never saved
    assert not snapshot.exists()
    await warmup.warm()
    failed = _Written()
    failed.stale = True
    await warmup.save(asyncio.Lock(), failed)
    assert not snapshot.exists()
    await warmup.save(asyncio.Lock(), _Written())
    assert snapshot.exists()
    await store.close()


HOURS = timedelta(hours=1)
# (title, fetched, published, grouped with after the restart at NOW): the window is what
# the store holds as stored (fetched) in the last 48 h, whatever the article's date says.
# fmt: off
WINDOW_CASES = [
    ("Hezbollah fires rockets at Haifa port", NOW - 5 * HOURS, NOW - 264 * HOURS,
     True),  # dated long ago, stored lately
    ("Turkish drones strike PKK camps in Sinjar", NOW - 4 * HOURS, None, True),  # undated
    ("Cholera outbreak spreads in Sanaa camps", NOW - 49 * HOURS, None,
     False),  # in the window when the snapshot was taken, not at the restart
    ("Kurdish fighters seize oil field near Deir ez-Zor", NOW - 60 * HOURS, NOW - 10 * HOURS,
     False),  # dated lately (in the future when fetched), stored before the window
]
AFTER_SNAPSHOT = (  # stored after the snapshot: replayed over it
    "Israeli jets hit weapons depot near Latakia", NOW - HOURS, NOW - 216 * HOURS, True,
)
# fmt: on


def _index_contents(dedup: Deduplicator) -> list[tuple[str, str, float, float]]:
    index = dedup.index
    return sorted((entry.story.story_id, entry.headline, entry.seen, entry.stored)
                  for entry in index._entries.values())  # fmt: skip


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_restart_from_a_snapshot_groups_as_a_restart_from_the_store(
    backend: str, tmp_path: Path
) -> None:
    """The snapshot path holds the same window as the warm-up from the store: articles
    dated long ago (or undated) but stored lately stay, ones stored before the window go,
    even when their date is recent; the running index is pruned as the daemon's is."""
    snapshot, taken = tmp_path / "wirewatch.stories", NOW - 3 * HOURS
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        live = Deduplicator(store, DedupSettings())
        if isinstance(store, WatchedStories):
            store.watch_stories(SharedStories(live))
        for number, (title, fetched, published, _) in enumerate(WINDOW_CASES):
            await _stored(store, live, _article(f"a{number}", title, fetched, published))
        live.index.prune(taken)  # the daemon's periodic prune, then its snapshot
        warmup = StoryWarmup(store, live, snapshot, lambda: taken)
        warmup.ready = True
        await warmup.save(asyncio.Lock(), _Written())
        title, fetched, published, _ = AFTER_SNAPSHOT
        await _stored(store, live, _article("a9", title, fetched, published))
        await store.close()

        store = new_store(backend, location)  # the restart, once with and once without
        await store.open()
        restored, log = await _warmed(store, snapshot)
        warmed, full = await _warmed(store, tmp_path / "absent.stories")
        await store.close()
    assert (log["source"], full["source"], log["ignored"]) == ("snapshot", "store", [])
    assert _index_contents(restored) == _index_contents(warmed)
    for number, (title, _, published, grouped) in enumerate([*WINDOW_CASES, AFTER_SNAPSHOT]):
        probe = _article(f"p{number}", "UPDATE 1-" + title + " (AFP)", NOW, published)
        decisions = [dedup.decide(probe, None) for dedup in (restored, warmed)]
        assert decisions[0] == decisions[1], title
        assert (decisions[0].verdict is Verdict.FOLDED) is grouped, title
