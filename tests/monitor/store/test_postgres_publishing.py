"""Daemons sharing one PostgreSQL schema publish their articles under the stories lock in
one statement: ``seq`` follows the commit order, not the insert order, and a write that
opens a story is refused when another daemon published meanwhile, then folded into that
daemon's story once caught up (docs/decisions/0056)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from monitor.records.models import Article, DedupDecision, MatchKind, Verdict
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import run_steps
from monitor.store.postgres.store import PostgresStore
from monitor.store.records import OpenedElsewhere, WindowArticle
from monitor.store.sql.articles import store_article
from monitor.store.sql.dialect import POSTGRES
from tests.support.stores import POSTGRES_URL, postgres_schema

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
    async with postgres_schema() as url:
        first, second = PostgresStore(url, max_size=2), PostgresStore(url, max_size=2)
        await first.open()
        await second.open()
        yield first, second
        await first.close()
        await second.close()


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


async def _waits_for_a_lock(
    watcher: psycopg.AsyncConnection[Any], pid: int, writer: asyncio.Task[object]
) -> None:
    """Returns once backend ``pid`` is queued on a lock (each probe is one round trip);
    fails, rather than hangs, if ``writer`` finishes without waiting or never queues."""
    probe = "SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted"
    for _ in range(_LOCK_PROBES):
        if await (await watcher.execute(probe, (pid,))).fetchone():
            return
        if writer.done():
            pytest.fail("the last try's write finished without waiting for the story's row")
    pytest.fail(f"the last try's write was not queued on a lock after {_LOCK_PROBES} probes")


async def test_the_last_try_and_a_publisher_holding_its_story_row_both_complete(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    """The deadlock decision 0056 rules out: a write on its last try waits for a story row
    another daemon's write holds; that write, publishing, must not wait for the last try."""
    first, second = daemons
    await second.record_articles([_record("story")])
    last_try, theirs = _record("last", joins="s-story"), _record("theirs", joins="s-story")
    async with (
        first._connection() as mine, second._connection() as other,
        second._connection() as watcher,
    ):  # fmt: skip
        await other.execute("BEGIN")
        folded, known = await second.stories.before_write(other, [theirs])
        await run_steps(other, store_article(POSTGRES, *theirs))  # holds the story's row
        await mine.execute("BEGIN")
        mine_folded, mine_known = await first.stories.before_write(mine, [last_try], locked=True)
        growing = asyncio.create_task(run_steps(mine, store_article(POSTGRES, *last_try)))
        await _waits_for_a_lock(
            watcher, mine.info.backend_pid, growing
        )  # queued on the story's row
        with pytest.raises(psycopg.errors.SerializationFailure):  # refused, not queued
            await second.stories.publish(other, folded, known)
        await other.execute("ROLLBACK")
        await growing  # the row is free: the last try goes on
        await first.stories.publish(mine, mine_folded, mine_known)
        await mine.execute("COMMIT")
    second.stories.published([theirs], None)
    await second.record_articles([theirs])  # its retry
    stored = await _stored(first)
    assert stored["a-last"][0] == stored["a-theirs"][0] == "s-story"
    assert stored["a-last"][1] < stored["a-theirs"][1]


async def test_the_last_try_is_taken_before_any_row_lock_and_refuses_publishing_meanwhile(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = daemons
    async with first._connection() as mine:
        await mine.execute("BEGIN")
        await first.stories.before_write(mine, [_record("last")], locked=True)
        held = await mine.execute(
            "SELECT locktype, mode FROM pg_locks WHERE pid = pg_backend_pid() AND granted"
            " AND locktype IN ('advisory', 'tuple', 'transactionid') ORDER BY locktype"
        )
        assert [tuple(row.values()) for row in await held.fetchall()] == [
            ("advisory", "ExclusiveLock")
        ]
        waits = _record("waits")
        async with second._connection() as other:
            await other.execute("BEGIN")
            folded, known = await second.stories.before_write(other, [waits])
            await run_steps(other, store_article(POSTGRES, *waits))
            with pytest.raises(psycopg.errors.SerializationFailure):  # refused, not queued
                await second.stories.publish(other, folded, known)
            await other.execute("ROLLBACK")
        second.stories.published([waits], None)
        await mine.execute("ROLLBACK")
    await second.record_articles([_record("waits")])
    assert "a-waits" in await _stored(second)
