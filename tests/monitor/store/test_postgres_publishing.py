"""Daemons sharing one PostgreSQL schema publish their articles under the stories lock in
one statement: ``seq`` follows the commit order, not the insert order, and a write that
opens a story is refused when another daemon published meanwhile, then folded into that
daemon's story once caught up (docs/decisions/0056; the refusal re-settled from a
savepoint: ``test_postgres_resettling.py``, decision 0088)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import pq
from structlog.testing import capture_logs

from monitor.records.models import Article, DedupDecision, MatchKind, Verdict
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import commit_with, connect, open_transaction, run_steps
from monitor.store.postgres.store import PostgresStore
from monitor.store.postgres.story_sync import OpenedMeanwhileError
from monitor.store.records import OpenedElsewhere, WindowArticle
from monitor.store.sql.articles import store_article
from monitor.store.sql.dialect import POSTGRES
from tests.support.round_trips import libpq_traced
from tests.support.stores import POSTGRES_URL, postgres_schema, two_postgres_stores

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Watch:
    """A story index that takes any story another daemon opened for the one it looks for."""

    def __init__(self) -> None:
        self.learned: list[WindowArticle] = []

    def learn(self, articles: Sequence[WindowArticle]) -> None:
        self.learned.extend(articles)

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]:
        found = {}
        for _, decision in records:
            for known in self.learned:
                if decision.verdict is Verdict.NEW_STORY and known.story_id != decision.story_id:
                    found[decision.story_id] = OpenedElsewhere(
                        known.story_id, known.first_article_id, MatchKind.RELATED, 0.9
                    )
        return found


def _record(name: str, joins: str = "") -> ArticleRecord:
    """An article opening its own story, or folded into story ``joins``."""
    article = Article(
        article_id=f"a-{name}", feed_url=f"http://{name}/feed", feed_name=name,
        guid=f"g-{name}", title="Strikes on the port", link=f"http://{name}/1", summary="",
        content="", published=None, fetched_at=NOW,
    )  # fmt: skip
    if joins:
        folded = DedupDecision(Verdict.FOLDED, joins, "a-" + joins[2:], MatchKind.RELATED)
        return ArticleRecord(article, folded, [])
    return ArticleRecord(article, DedupDecision(Verdict.NEW_STORY, f"s-{name}"), [])


@pytest.fixture(name="daemons")
async def _daemons() -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    async with two_postgres_stores() as daemons:
        yield daemons


async def _stored(store: PostgresStore) -> dict[str, Any]:
    async with store._connection() as conn:
        found = await conn.execute("SELECT article_id, story_id, seq FROM articles ORDER BY seq")
        return {row["article_id"]: (row["story_id"], row["seq"]) for row in await found.fetchall()}


async def test_seq_follows_the_commit_order_not_the_insert_order(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    early = _record("early")
    async with first._connection() as conn, conn.transaction():
        folded, known = await first.stories.before_write(conn, [early])
        await run_steps(conn, store_article(POSTGRES, *early))  # inserted first...
        await second.record_articles([_record("other")])  # ...another daemon commits
        await first.stories.publish(conn, folded, known)
    stored = await _stored(first)
    assert stored["a-early"][1] > stored["a-other"][1]  # a mark past "other" still sees it


async def test_a_story_opened_elsewhere_meanwhile_refuses_the_write_then_folds_it(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    watch = Watch()
    first.watch_stories(watch)
    mine = _record("mine")
    async with first._connection() as conn:
        await conn.execute("BEGIN")
        folded, known = await first.stories.before_write(conn, [mine])
        await run_steps(conn, store_article(POSTGRES, *mine))
        await second.record_articles([_record("theirs")])  # the same event, elsewhere
        with pytest.raises(psycopg.errors.SerializationFailure):
            await first.stories.publish(conn, folded, known)
        await conn.execute("ROLLBACK")
    first.stories.published([mine], None)
    assert "a-mine" not in await _stored(first)
    await first.record_articles([mine])  # as the retry does: caught up, then folded
    assert (await _stored(first))["a-mine"][0] == "s-theirs"
    assert [article.story_id for article in watch.learned] == ["s-theirs"]


async def test_a_daemon_does_not_learn_back_its_own_articles(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    watch = Watch()
    first.watch_stories(watch)
    await first.record_articles([_record("one")])
    await second.record_articles([_record("two")])
    await first.record_articles([ArticleRecord(*_record("three")[:2], [])])
    assert sorted(article.story_id for article in watch.learned) == ["s-two"]


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
    await second.record_articles([_record("east"), _record("west")])
    mine = [_record("mine-west", joins="s-west"), _record("mine-east", joins="s-east")]
    theirs = [_record("theirs-east", joins="s-east"), _record("theirs-west", joins="s-west")]
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
    stored = await _stored(first)
    assert [stored[f"a-{name}"][0] for name in ("mine-west", "mine-east")] == ["s-west", "s-east"]
    assert stored["a-mine-east"][1] < stored["a-theirs-east"][1]  # the second waited


def _sent_naming(trace: str, needle: str) -> list[list[str]]:
    """The messages libpq's trace shows the client sent naming ``needle``: kind, text."""
    lines = trace.splitlines()
    return [line.split("\t")[2:] for line in lines if line.startswith("F\t") and needle in line]


async def test_the_publishing_statement_leaves_in_one_message_with_its_commit(
    tmp_path: Path,
) -> None:
    """The stories lock is taken by the publishing statement and released by the COMMIT:
    the daemon's write sends both in one message, which the server carries out before it
    answers, so the lock is never held across a round trip or while the daemon's code (or
    its wait for a CPU) runs. In pipeline mode the statement went out as it was executed
    and the COMMIT event-loop turns later."""
    trace = tmp_path / "libpq.trace"
    async with postgres_schema() as url:
        store = PostgresStore(url, max_size=1)  # one connection: the one traced
        await store.open()
        try:
            async with libpq_traced(store, trace):
                await store.record_articles([_record("one")])
            stored = await _stored(store)
        finally:
            await store.close()
    [(kind, text)] = _sent_naming(trace.read_text(), "wirewatch_publish_articles")
    assert kind == "Query" and text.endswith('; COMMIT"')
    assert stored["a-one"][1] > 0


async def test_a_publishing_refused_with_its_commit_rolls_the_write_back(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    first.watch_stories(Watch())
    mine, states = _record("mine"), []

    async def write() -> None:
        async with first._connection() as conn:
            try:
                async with open_transaction(conn):
                    folded, known = await first.stories.before_write(conn, [mine])
                    await run_steps(conn, store_article(POSTGRES, *mine))
                    await second.record_articles([_record("theirs")])
                    await first.stories.publish(conn, folded, known, commit=True)
            finally:
                states.append(conn.info.transaction_status)

    with pytest.raises(psycopg.errors.SerializationFailure):
        await write()
    first.stories.published([mine], None)
    assert states == [pq.TransactionStatus.IDLE]
    assert "a-mine" not in await _stored(first)


class Unrelated(Watch):
    """A story index in which nothing another daemon opens is the story looked for."""

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]:
        return {}


async def _settled_write(first: PostgresStore, second: PostgresStore, mine: ArticleRecord) -> int:
    """``mine`` written by ``first`` while ``second`` publishes an article, then settled
    and published with its commit, as ``record_articles`` does; the newest ``seq``."""
    newest = None
    try:
        async with first._connection() as conn, open_transaction(conn):
            folded, known = await first.stories.before_write(conn, [mine])
            await run_steps(conn, store_article(POSTGRES, *mine))
            await second.record_articles([_record("theirs")])  # published meanwhile
            asked = await first.stories.ask_settling(conn, folded)
            known = await first.stories.settle(conn, folded, known, asked)
            newest = await first.stories.publish(conn, folded, known, commit=True)
            return newest
    finally:
        first.stories.published([mine], newest)


async def test_an_unrelated_article_published_meanwhile_does_not_refuse_the_write(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """Settling learns what was published while the write ran; unless it opened one of the
    write's stories, publishing goes through at the first try (decision 0073)."""
    first, second = daemons
    watch = Unrelated()
    first.watch_stories(watch)
    newest = await _settled_write(first, second, _record("mine"))
    stored = await _stored(first)
    assert stored["a-mine"] == ("s-mine", newest)
    assert stored["a-theirs"][1] < newest
    assert [article.story_id for article in watch.learned] == ["s-theirs"]
    assert first.stories.mark == newest  # nothing learned twice


async def test_a_story_opened_meanwhile_is_found_by_settling_and_the_retry_folds_into_it(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    first.watch_stories(Watch())
    mine = _record("mine")
    with pytest.raises(OpenedMeanwhileError):
        await _settled_write(first, second, mine)
    assert "a-mine" not in await _stored(first)
    with capture_logs() as logs:
        await first.record_articles([mine])
    assert (await _stored(first))["a-mine"][0] == "s-theirs"
    assert not [e for e in logs if e["event"] == "store_write_retried"]


async def test_settling_passes_over_the_writes_own_rows(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """The write's own rows carry a provisional ``seq`` until published: settling must not
    move the mark past them, or an article another daemon publishes next would be missed."""
    first, _ = daemons
    watch = Unrelated()
    first.watch_stories(watch)
    async with first._connection() as conn, open_transaction(conn):
        folded, known = await first.stories.before_write(conn, [_record("mine")])
        await run_steps(conn, store_article(POSTGRES, *folded[0]))
        asked = await first.stories.ask_settling(conn, folded)
        assert await first.stories.settle(conn, folded, known, asked) == known
        await conn.execute("ROLLBACK")
    assert watch.learned == []


async def test_a_publishing_refused_at_any_run_leaves_the_connection_able_to_commit() -> None:
    """psycopg prepares a statement at its fifth run; a refused publishing in the same
    pipeline made the server skip COMMIT's preparation while psycopg recorded it as made,
    and every later write on that connection failed ("_pg3_N" does not exist)."""
    async with postgres_schema() as url:
        conn = await connect(url, 10.0)
        async with conn:
            for run in range(12):  # a refusal at every run in turn, a success after each
                for refused in (True, False):
                    with contextlib.suppress(psycopg.errors.DivisionByZero):
                        async with open_transaction(conn):
                            await commit_with(conn, "SELECT 1 / %s AS one", (0 if refused else 1,))
                    assert conn.info.transaction_status == pq.TransactionStatus.IDLE, run
