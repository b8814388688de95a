"""Each write locks the rows of the stories it grows in one order before growing any, so
two writes growing the same stories queue instead of deadlocking (docs/decisions/0056,
"Story rows in one order")."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import run_steps
from monitor.store.postgres.store import PostgresStore
from monitor.store.sql.articles import store_article
from monitor.store.sql.dialect import POSTGRES
from tests.support.publishing import article_record, stored_articles
from tests.support.stores import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]


_LOCK_PROBES = 10_000  # round trips; the write queues within a few, a regression never does


_QUEUED = "SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted"  # pid waits


async def _waits_for_a_lock(
    watcher: psycopg.AsyncConnection[Any], pid: int, writer: asyncio.Task[Any]
) -> None:
    """Returns once backend ``pid`` is queued on a lock (each probe is one round trip);
    fails, rather than hangs, if ``writer`` finishes without waiting or never queues."""
    for _ in range(_LOCK_PROBES):
        if await (await watcher.execute(_QUEUED, (pid,))).fetchone():
            return
        if writer.done():
            pytest.fail("the write finished without waiting for a lock")
    pytest.fail(f"the write was not queued on a lock after {_LOCK_PROBES} probes")


async def _grow(
    store: PostgresStore,
    conn: psycopg.AsyncConnection[Any],
    records: list[ArticleRecord],
) -> tuple[list[ArticleRecord], int]:
    """A write's steps up to its publishing, in ``conn``'s open transaction."""
    folded, known = await store.stories.before_write(conn, records)
    for record in folded:
        await run_steps(conn, store_article(POSTGRES, *record))
    return folded, known


async def _write(
    store: PostgresStore, conn: psycopg.AsyncConnection[Any], records: list[ArticleRecord]
) -> None:
    """One whole write on ``conn``, as ``record_articles`` runs it, committed."""
    await conn.execute("BEGIN")
    await store.stories.publish(conn, *(await _grow(store, conn, records)))
    await conn.execute("COMMIT")


async def test_two_writes_growing_two_stories_in_opposite_order_both_complete(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """Each write locks its stories' rows in one order before growing any: the second
    queues behind the first instead of holding a row the first will need (a deadlock
    PostgreSQL would break by aborting one of them)."""
    first, second = daemons
    await second.record_articles([article_record("east"), article_record("west")])
    mine = [
        article_record("mine-west", joins="s-west"),
        article_record("mine-east", joins="s-east"),
    ]
    theirs = [
        article_record("theirs-east", joins="s-east"),
        article_record("theirs-west", joins="s-west"),
    ]
    async with (
        first._connection() as conn, second._connection() as other,
        second._connection() as watcher,
    ):  # fmt: skip
        await conn.execute("BEGIN")
        folded, known = await first.stories.before_write(conn, mine)
        await run_steps(conn, store_article(POSTGRES, *folded[0]))  # grows "west"
        writing = asyncio.create_task(_write(second, other, theirs))  # "east" first
        await _waits_for_a_lock(watcher, other.info.backend_pid, writing)
        await run_steps(conn, store_article(POSTGRES, *folded[1]))  # then "east"
        await first.stories.publish(conn, folded, known)
        await conn.execute("COMMIT")
        await writing
    stored = await stored_articles(first)
    assert [stored[f"a-{name}"][0] for name in ("mine-west", "mine-east")] == ["s-west", "s-east"]
    assert stored["a-mine-east"][1] < stored["a-theirs-east"][1]  # the second waited
