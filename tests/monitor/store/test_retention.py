"""Retention: what goes, what stays whatever its age, batches, dry runs, cutoffs, file size
(tombstones: test_retention_tombstones.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import RetentionSettings
from monitor.records import DeliveryState
from monitor.records.models import DedupDecision, Verdict
from monitor.store.interface import ArticleRecord, Store
from monitor.store.records import PruneCutoffs
from monitor.store.retention import prune_cutoffs, run_retention
from monitor.store.sqlite.store import SqliteStore
from tests.support.retention import DEFAULTS, FEED, NOW, WINDOW
from tests.support.retention import alert_on as _alert
from tests.support.retention import article_at as _article
from tests.support.retention import report as _report
from tests.support.retention import retain as _retain
from tests.support.stores import STORE_BACKENDS, opened_store


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


@pytest.fixture(name="sqlite_store")
async def _sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "store.db"))
    await store.open()
    yield store
    await store.close()


async def _rows(store: Store) -> dict[str, int]:
    return dict((await store.database_stats()).rows)


async def _set_delivery(store: Store, state: str, attempts: int, hold: str | None) -> None:
    (listing,) = await store.list_alerts(NOW - timedelta(days=1000))
    await store.update_deliveries(
        [d.delivery_id for d in listing.deliveries],
        state=DeliveryState(state),
        attempts=attempts,
        next_attempt_at=NOW + timedelta(hours=1),
        error="HTTP 503" if attempts else None,
        hold=hold,
    )


async def test_old_articles_go_and_leave_their_young_story(store: Store) -> None:
    await _report(store, "old", 40, story="s-old")
    await _report(store, "recent", 10, story="s-recent")
    pruned = await _retain(store)
    assert pruned == {"alerts": 0, "articles": 1, "stories": 0, "tombstones": 0, "surges": 0}
    rows = await _rows(store)
    assert (rows["articles"], rows["stories"], rows["pruned_articles"]) == (1, 2, 1)


async def test_a_story_older_than_its_age_goes_with_its_bookkeeping(store: Store) -> None:
    await _report(store, "ancient", 100, story="s1")
    await store.save_thread("s1", "watch", "hook", "ts-1")
    expected = {"alerts": 0, "articles": 1, "stories": 1, "tombstones": 0, "surges": 0}
    assert await _retain(store) == expected
    rows = await _rows(store)
    assert (rows["stories"], rows["story_outlets"], rows["threads"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("state", "attempts", "hold", "pruned"),
    [
        ("pending", 0, None, False),  # never tried yet
        ("pending", 3, None, False),  # retrying
        ("pending", 0, "quiet_hours", False),  # held
        ("pending", 0, "digest", False),
        ("sent", 1, None, True),
        ("dead", 8, None, True),
        ("silenced", 0, None, True),
    ],
)
async def test_only_settled_alerts_go(
    store: Store, state: str, attempts: int, hold: str | None, pruned: bool
) -> None:
    await _report(store, "g1", 100, story="s1", alert=True)
    await _set_delivery(store, state, attempts, hold)
    expected = dict.fromkeys(("alerts", "articles", "stories"), int(pruned))
    assert await _retain(store) == {**expected, "tombstones": 0, "surges": 0}
    rows = await _rows(store)
    kept = int(not pruned)
    assert (rows["alerts"], rows["deliveries"], rows["articles"], rows["stories"]) == (kept,) * 4


async def test_an_article_an_alert_names_stays_until_the_alert_goes(store: Store) -> None:
    await _report(store, "g1", 40, story="s1", alert=True)  # the alert is younger than 90 days
    await _set_delivery(store, "sent", 1, None)
    assert (await _retain(store))["articles"] == 0
    pending = await store.due_deliveries(NOW + timedelta(days=1), 10)
    assert pending == []  # sent; and its listing still has the headline:
    (listing,) = await store.list_alerts(NOW - timedelta(days=100))
    assert listing.title == "Headline g1"


async def test_an_active_story_keeps_its_old_alert_so_it_alerts_once(store: Store) -> None:
    """The alert is 100 days old but its story took an article yesterday: pruning the
    alert would let the next article raise the story's first alert again."""
    await _report(store, "g1", 100, story="s1", alert=True)
    await _set_delivery(store, "sent", 1, None)
    await _report(store, "g2", 1, story="s1")
    pruned = await _retain(store)
    assert (pruned["alerts"], pruned["stories"]) == (0, 0)
    later = _article("g3", NOW)
    again = await store.record_article(
        later, DedupDecision(Verdict.FOLDED, "s1"), [_alert(later, "s1")]
    )
    assert again == []
    assert (await _rows(store))["articles"] == 3  # the alert's article and the two young ones


async def test_feed_state_is_never_pruned(store: Store) -> None:
    from monitor.records.models import FeedState  # noqa: PLC0415

    await store.save_feed_state(FeedState(url=FEED, last_polled=NOW - timedelta(days=900)))
    await _report(store, "g1", 900, story="s1")
    await _retain(store)
    assert (await _rows(store))["feeds"] == 1


@dataclass
class Spy:
    store: Store
    sizes: list[tuple[str, int, int]]

    async def prune_batch(self, kind: str, cutoffs: PruneCutoffs, limit: int, now: datetime) -> int:
        deleted = await self.store.prune_batch(kind, cutoffs, limit, now)
        self.sizes.append((kind, limit, deleted))
        return deleted

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


async def test_batches_are_small_and_a_run_stops_at_its_cap(store: Store) -> None:
    for number in range(12):
        await _report(store, f"g{number}", 40, story=f"s{number}")
    settings = RetentionSettings(batch_size=5, max_rows_per_run=8)
    spy = Spy(store, [])
    report = await run_retention(spy, settings, NOW, window=WINDOW)  # type: ignore[arg-type]
    assert (report.pruned["articles"], report.complete) == (8, False)
    assert spy.sizes == [("alerts", 5, 0), ("articles", 5, 5), ("articles", 3, 3)]
    report = await run_retention(spy, settings, NOW, window=WINDOW)  # type: ignore[arg-type]
    assert (report.pruned["articles"], report.complete) == (4, True)
    assert (await _rows(store))["articles"] == 0


async def test_a_dry_run_counts_what_a_run_deletes_and_deletes_nothing(store: Store) -> None:
    await _report(store, "a", 100, story="s1", alert=True)  # settled: all three go
    await _set_delivery(store, "sent", 1, None)
    await _report(store, "b", 100, story="s2")  # article and story go
    await _report(store, "c", 40, story="s3")  # article goes, story stays
    await _report(store, "d", 1, story="s4")  # everything stays
    before = await _rows(store)
    dry = await run_retention(store, DEFAULTS, NOW, window=WINDOW, dry_run=True)
    assert await _rows(store) == before
    assert (
        dry.pruned
        == await _retain(store)
        == {
            "alerts": 1,
            "articles": 3,
            "stories": 2,
            "tombstones": 0,
            "surges": 0,
        }
    )


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (30.0, NOW - timedelta(days=30)),
        (0.5, NOW - WINDOW - timedelta(days=1)),  # never inside the dedup window
        (0.0, None),  # kept forever
    ],
)
def test_cutoffs(days: float, expected: datetime | None) -> None:
    settings = RetentionSettings(articles_days=days, stories_days=days)
    cutoffs = prune_cutoffs(settings, NOW, WINDOW)
    assert cutoffs.articles == cutoffs.stories == expected


async def test_an_age_of_zero_keeps_that_kind(store: Store) -> None:
    await _report(store, "g1", 1000, story="s1")
    assert sum((await _retain(store, RetentionSettings(articles_days=0))).values()) == 0


async def test_the_file_stops_growing_under_insert_and_prune_cycles(
    sqlite_store: SqliteStore,
) -> None:
    store = sqlite_store
    """Pages freed by pruning are given back (a new file is incremental auto-vacuum), so
    the page count after each cycle's prune levels off instead of climbing: tombstones
    (kept 365 days) fill for four 100-day cycles; from the fifth, which expires the first
    ones, every cycle looks the same and the file no longer grows."""
    pages = []
    for cycle in range(9):
        start = NOW + timedelta(days=100 * cycle)
        articles = [_article(f"c{cycle}-{n}", start, summary="x" * 2000) for n in range(150)]
        await store.record_articles([  # one transaction a cycle: the set-up is not the test
            ArticleRecord(article, DedupDecision(Verdict.NEW_STORY, article.guid), [])
            for article in articles
        ])  # fmt: skip
        later = start + timedelta(days=95)
        await run_retention(store, DEFAULTS, later, window=WINDOW)
        stats = await store.database_stats()
        assert (stats.rows["articles"], stats.free_pages) == (0, 0)
        pages.append(stats.page_count)
    assert stats.auto_vacuum == "incremental"
    assert max(pages[5:]) <= pages[4], pages


async def test_vacuum_turns_an_old_file_incremental(tmp_path: Path) -> None:
    import sqlite3  # noqa: PLC0415

    path = tmp_path / "old.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()  # auto_vacuum none
    store = SqliteStore(str(path))
    await store.open()
    try:
        assert (await store.database_stats()).auto_vacuum == "none"
        await store.vacuum()
        assert (await store.database_stats()).auto_vacuum == "incremental"
    finally:
        await store.close()
