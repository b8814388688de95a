"""A write's publishing refused because another daemon published in the round trip between
its settling and its publishing goes back to a savepoint, learns what was published,
and publishes again: the write is not redone, no lock every daemon shares is held
meanwhile, and a story opened meanwhile is still folded into (decision 0088)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import psycopg
import pytest
from structlog.testing import capture_logs

from monitor.store.postgres.schema import Connection
from monitor.store.postgres.store import PostgresStore
from tests.support.publishing import Meddled, Unrelated, Watch, article_record, stored_articles
from tests.support.stores import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]


def _events(
    logs: Sequence[Mapping[str, object]], event: str, *keys: str
) -> list[tuple[object, ...]]:
    return [tuple(line[key] for key in keys) for line in logs if line["event"] == event]


_ADVISORY = "SELECT count(*) AS held FROM pg_locks WHERE pid = %s AND locktype = 'advisory'"
_ROW = "SELECT 1 FROM stories WHERE story_id = 's-old' FOR UPDATE NOWAIT"


async def test_a_publishing_refused_again_and_again_is_resettled_and_lands_without_a_redo(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """Another daemon publishes after each of the first ten settlings: ten refusals, each
    re-settled from the savepoint with the stories lock free and the write's story row
    still locked; the write is begun once, stored on the eleventh publishing."""
    first, second = daemons
    await second.record_articles([article_record("old")])
    refusals, seen = 10, []
    async with second._connection() as watcher:

        async def meanwhile(conn: Connection, settled: int) -> None:
            if settled > 1:  # re-settling: back at the savepoint, nothing shared held
                held = await (await watcher.execute(_ADVISORY, (conn.info.backend_pid,))).fetchone()
                seen.append(held["held"] if held else None)
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    await watcher.execute(_ROW)  # the row the write grows: still its own
            if settled <= refusals:
                await second.record_articles([article_record(f"theirs-{settled}")])

        first.stories = Meddled(meanwhile)
        watch = Unrelated()
        first.watch_stories(watch)
        with capture_logs() as logs:
            await first.record_articles(
                [article_record("mine"), article_record("grows", joins="s-old")]
            )
    assert _events(logs, "store_publish_resettled", "round") == [(n,) for n in range(1, 11)]
    assert not _events(logs, "store_write_retried", "reason")
    assert first.stories.begun == 1 and seen == [0] * refusals
    stored = await stored_articles(first)
    assert stored["a-mine"][0] == "s-mine" and stored["a-grows"][0] == "s-old"
    theirs = [f"a-theirs-{n}" for n in range(1, refusals + 1)]
    assert max(stored[name][1] for name in theirs) < stored["a-mine"][1]
    learned = [article.story_id for article in watch.learned]
    assert learned == ["s-old", *(f"s-theirs-{n}" for n in range(1, refusals + 1))]


async def test_a_story_opened_in_the_window_is_found_by_resettling_and_folded_into(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons

    async def meanwhile(conn: Connection, settled: int) -> None:
        if settled == 1:
            await second.record_articles([article_record("theirs")])  # the same event, elsewhere

    first.stories = Meddled(meanwhile)
    first.watch_stories(Watch())
    with capture_logs() as logs:
        await first.record_articles([article_record("mine")])
    assert _events(logs, "store_publish_resettled", "round") == [(1,)]
    assert _events(logs, "store_write_retried", "attempt", "reason") == [(1, "opened_meanwhile")]
    assert (await stored_articles(first))["a-mine"][0] == "s-theirs"


async def test_two_daemons_racing_to_open_one_story_open_it_once(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """Both writes settle before either publishes (neither knows the other's article):
    the second publishing is refused, re-settled, and its write folded into the first's
    story."""
    both_settled = asyncio.Barrier(2)

    async def meanwhile(conn: Connection, settled: int) -> None:
        if settled == 1:
            await both_settled.wait()

    for store in daemons:
        store.stories = Meddled(meanwhile)
        store.watch_stories(Watch())
    first, second = daemons
    with capture_logs() as logs:
        await asyncio.gather(
            first.record_articles([article_record("one")]),
            second.record_articles([article_record("two")]),
        )
    assert len(_events(logs, "store_publish_resettled", "round")) == 1
    assert _events(logs, "store_write_retried", "reason") == [("opened_meanwhile",)]
    stored = await stored_articles(first)
    assert stored["a-one"][0] == stored["a-two"][0]
    async with first._connection() as conn:
        stories = await (await conn.execute("SELECT count(*) AS n FROM stories")).fetchone()
    assert stories is not None and stories["n"] == 1
