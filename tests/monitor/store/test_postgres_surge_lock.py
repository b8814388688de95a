"""Two daemons on one PostgreSQL schema fire the same surge at the same moment: exactly one
surge and one alert are stored. The race is interleaved by hand, not by timing: the first
daemon's transaction stays open after its cooldown check and inserts, the second daemon's
runs until it has finished or waits on the first (as ``pg_blocking_pids`` reports), and
only then does the first commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from monitor.alerting.routing import Routes
from monitor.alerting.surge_alerts import surge_alerts
from monitor.config import SurgeSettings
from monitor.records import AlertRecord, Article, DedupDecision, Verdict
from monitor.store.postgres.schema import run_steps
from monitor.store.postgres.store import PostgresStore
from monitor.store.sql.dialect import POSTGRES
from monitor.store.sql.surge_alerts import store_surge_alerts
from monitor.surges import Surge, SurgeKind, surge_id
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
COOLDOWN = timedelta(hours=6)
SETTINGS, ROUTES = SurgeSettings(notifiers=("hook",)), Routes(enabled=("hook",))
Connection = psycopg.AsyncConnection[DictRow]


def _surge(minutes_late: int) -> Surge:
    """One daemon's view of the name "beirut": its own window, fired at ``NOW``."""
    start = NOW - timedelta(minutes=60 - minutes_late)
    return Surge(
        surge_id=surge_id(SurgeKind.NAME, "beirut", start), kind=SurgeKind.NAME, key="beirut",
        label="Beirut", window_start=start, window_end=NOW, fired_at=NOW, count=14,
        expected=1.25, outlets=9, score=11.5, top_stories=(("s1", "انفجار في ميناء بيروت", 6),),
        top_outlets=("wire:Reuters",),
    )  # fmt: skip


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with postgres_schema() as location:
        yield location


@pytest.fixture
async def store(url: str) -> AsyncIterator[PostgresStore]:
    store = PostgresStore(url)
    await store.open()
    article = Article(
        article_id="a1", feed_url="https://wire.example/feed", feed_name="Wire", guid="a1",
        title="Beirut port blast", link="https://wire.example/a1", summary="", content="",
        published=None, fetched_at=NOW - timedelta(minutes=30),
    )  # fmt: skip
    await store.record_article(article, DedupDecision(Verdict.NEW_STORY, "s1"), [])
    try:
        yield store
    finally:
        await store.close()


async def _connect(url: str) -> Connection:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)
    await conn.execute("SET TIME ZONE 'UTC'")  # as the store's pool configures its own
    return conn


async def _queue(conn: Connection, surge: Surge) -> list[AlertRecord]:
    """What ``record_surge_alerts`` runs, on ``conn``, in the transaction open on it."""
    planned = surge_alerts([surge], SETTINGS, ROUTES)
    return await run_steps(conn, store_surge_alerts(POSTGRES, [surge], planned, COOLDOWN))


async def _queue_alone(conn: Connection, surge: Surge) -> list[AlertRecord]:
    async with conn.transaction():
        return await _queue(conn, surge)


async def _finished_or_waiting(task: asyncio.Task[object], pid: int, watcher: Connection) -> None:
    """Return once ``task`` is done or session ``pid`` waits on another's lock."""
    while not task.done():
        found = await watcher.execute("SELECT pg_blocking_pids(%s) AS blockers", (pid,))
        row = await found.fetchone()
        if row is not None and row["blockers"]:
            return
        await asyncio.sleep(0)  # the task's next statement goes out meanwhile


async def test_two_daemons_firing_one_surge_at_once_store_one_surge_and_alert(
    url: str, store: PostgresStore
) -> None:
    first, second, watcher = [await _connect(url) for _ in range(3)]
    results: Sequence[list[AlertRecord]]
    try:
        async with first.transaction():  # the first daemon checked and queued: not committed
            queued_first = await _queue(first, _surge(0))
            racing = asyncio.create_task(_queue_alone(second, _surge(7)))
            await _finished_or_waiting(racing, second.info.backend_pid, watcher)
        results = [queued_first, await racing]
    finally:
        for conn in (first, second, watcher):
            await conn.close()
    assert sum(len(queued) for queued in results) == 1
    assert [surge.surge_id for surge in await store.list_surges(NOW - timedelta(days=1))] == [
        _surge(0).surge_id
    ]
    assert [due.alert.alert_id for due in await store.due_deliveries(NOW, 10)] == [
        "su_" + _surge(0).surge_id
    ]
