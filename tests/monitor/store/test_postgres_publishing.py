"""Daemons sharing one PostgreSQL schema publish their articles under the stories lock in
one statement: ``seq`` follows the commit order, not the insert order, and the statement
goes out in one message with the COMMIT (docs/decisions/0056, 0081). A write that opens a
story refused when another daemon published meanwhile: ``test_postgres_settling.py``; the
refusal re-settled from a savepoint: ``test_postgres_resettling.py`` (decision 0088);
story rows locked in one order: ``test_postgres_story_row_order.py``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import psycopg
import pytest
from psycopg import pq

from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import commit_with, connect, open_transaction, run_steps
from monitor.store.postgres.store import PostgresStore
from monitor.store.sql.articles import store_article
from monitor.store.sql.dialect import POSTGRES
from tests.support.publishing import Watch, article_record, stored_articles
from tests.support.round_trips import libpq_traced
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]


async def test_seq_follows_the_commit_order_not_the_insert_order(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    early = article_record("early")
    async with first._connection() as conn, conn.transaction():
        folded, known = await first.stories.before_write(conn, [early])
        await run_steps(conn, store_article(POSTGRES, *early))  # inserted first...
        await second.record_articles([article_record("other")])  # ...another daemon commits
        await first.stories.publish(conn, folded, known)
    stored = await stored_articles(first)
    assert stored["a-early"][1] > stored["a-other"][1]  # a mark past "other" still sees it


async def test_a_daemon_does_not_learn_back_its_own_articles(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    watch = Watch()
    first.watch_stories(watch)
    await first.record_articles([article_record("one")])
    await second.record_articles([article_record("two")])
    await first.record_articles([ArticleRecord(*article_record("three")[:2], [])])
    assert sorted(article.story_id for article in watch.learned) == ["s-two"]


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
                await store.record_articles([article_record("one")])
            stored = await stored_articles(store)
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
    mine, states = article_record("mine"), []

    async def write() -> None:
        async with first._connection() as conn:
            try:
                async with open_transaction(conn):
                    folded, known = await first.stories.before_write(conn, [mine])
                    await run_steps(conn, store_article(POSTGRES, *mine))
                    await second.record_articles([article_record("theirs")])
                    await first.stories.publish(conn, folded, known, commit=True)
            finally:
                states.append(conn.info.transaction_status)

    with pytest.raises(psycopg.errors.SerializationFailure):
        await write()
    first.stories.published([mine], None)
    assert states == [pq.TransactionStatus.IDLE]
    assert "a-mine" not in await stored_articles(first)


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
