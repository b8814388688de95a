"""PostgreSQL without autovacuum: the daemon keeps planner statistics itself (ANALYZE after
writes, VACUUM only in the retention run), and the story catch-up is planned as an index
range on ``seq`` even on tables never analysed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from structlog.testing import capture_logs

from monitor.records.models import Article, DedupDecision, Verdict
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import migrate
from monitor.store.postgres.statistics import Statistics
from monitor.store.postgres.store import PostgresStore
from monitor.store.postgres.story_sync import _SINCE
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FILL = """
INSERT INTO stories SELECT 's' || i, 'a' || i, 't', now(), now(), 1
FROM generate_series(1, 20000) i;
INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title, summary,
                      fetched_at)
SELECT 'a' || i, 's' || i, 'f', 'f', 'g' || i, 'l' || i, 't', repeat('x', 300), now()
FROM generate_series(1, 20000) i;
"""


@pytest.fixture(name="url")
async def _url() -> AsyncIterator[str]:
    async with postgres_schema() as location:
        yield location


async def _analysed(url: str) -> Any:
    query = "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 'articles'::regclass"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        row = await (await conn.execute(query)).fetchone()
    return row[0] if row else None


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


async def test_the_catch_up_reads_an_index_range_on_tables_never_analysed(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, row_factory=dict_row
    ) as conn:
        await migrate(conn)
        await conn.execute(FILL)
        explained = await (
            await conn.execute("EXPLAIN (FORMAT JSON) " + _SINCE, (19990,))
        ).fetchone()
    assert explained is not None
    plan = explained["QUERY PLAN"]
    nodes = _nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    kinds = {(node["Node Type"], node.get("Relation Name")) for node in nodes}
    assert ("Index Scan", "articles") in kinds
    assert not any(kind in {"Hash Join", "Seq Scan", "Merge Join"} for kind, _ in kinds)
    # each article's story is read once, for all its columns
    assert [node["Node Type"] for node in nodes if node.get("Relation Name") == "stories"] == [
        "Index Scan"
    ]


async def test_a_daemon_opening_a_never_analysed_schema_analyses_it(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        await migrate(conn)  # as an older version left it: never analysed
    assert await _analysed(url) is None
    store = PostgresStore(url)
    await store.open()
    await store.close()
    assert await _analysed(url) is not None


def _record(n: int) -> ArticleRecord:
    article = Article(
        article_id=f"a{n}", feed_url="http://one/feed", feed_name="One", guid=f"g{n}",
        title=f"Story number {n}", link=f"http://one/{n}", summary="", content="",
        published=None, fetched_at=NOW,
    )  # fmt: skip
    return ArticleRecord(article, DedupDecision(Verdict.NEW_STORY, f"s{n}"), [])


async def test_the_tables_are_analysed_again_once_they_grew(url: str) -> None:
    store = PostgresStore(url)
    await store.open()
    try:
        first = await _analysed(url)
        store.statistics.due = 3  # instead of a thousand articles
        await store.record_articles([_record(1), _record(2)])
        assert await _analysed(url) == first
        await store.record_articles([_record(3)])
        assert await _analysed(url) > first
    finally:
        await store.close()


def test_the_next_analyse_is_due_after_a_tenth_more_rows() -> None:
    statistics = Statistics()
    assert not statistics.grew(999)
    assert statistics.grew(1)


_DEAD = "SELECT n_dead_tup, last_vacuum FROM pg_stat_user_tables WHERE relid = %s::regclass"


async def _dead(url: str, table: str) -> tuple[int, Any]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        row = await (await conn.execute(_DEAD, (table,))).fetchone()
    assert row is not None
    return int(row[0]), row[1]


async def _leave_dead_rows(url: str, table: str, statements: list[str]) -> None:
    """Autovacuum off for ``table`` (as on a server with it off), then ``statements``; the
    counts are flushed to the statistics before this returns (PostgreSQL 15)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("SELECT pg_stat_force_next_flush()")


_VACUUMED = """
SELECT relname FROM pg_stat_user_tables
WHERE schemaname = current_schema() AND last_vacuum IS NOT NULL ORDER BY relname
"""


async def _vacuumed(url: str) -> list[str]:
    """The tables of the test's schema that were ever vacuumed by hand (not autovacuum)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return [row[0] for row in await (await conn.execute(_VACUUMED)).fetchall()]


async def test_without_autovacuum_a_write_analyses_and_the_retention_run_vacuums(url: str) -> None:
    store = PostgresStore(url)
    await store.open()
    try:
        store.statistics.due = 3
        await store.record_articles([_record(1), _record(2)])
        # Each a non-HOT update of both rows (``seq`` is indexed), as publishing makes one.
        await _leave_dead_rows(url, "articles", ["UPDATE articles SET seq = DEFAULT"] * 40)
        dead, vacuumed = await _dead(url, "articles")
        assert dead >= 80 and vacuumed is None
        analysed = await _analysed(url)
        with capture_logs() as logs:
            await store.record_articles([_record(3)])  # the refresh is due after this write
        # The write's refresh ran (ANALYZE) and vacuumed nothing: a VACUUM reads the whole
        # table and its indexes while the writer, and every poll behind it, waits.
        assert await _analysed(url) > analysed
        assert await _vacuumed(url) == []
        assert not [entry for entry in logs if entry["event"] == "store_vacuumed"]
        with capture_logs() as logs:
            assert await store.reclaim_space(1000) == 0  # the retention run's last step
        # Observed by its timestamp: how many rows it could remove depends on the oldest
        # snapshot open anywhere in the database (other tests' transactions).
        assert await _vacuumed(url) == ["articles"]
        assert {"event": "store_vacuumed", "tables": ["articles"], "reason": "autovacuum off",
                "log_level": "info"} in logs  # fmt: skip
    finally:
        await store.close()


async def test_without_autovacuum_a_retention_run_vacuums_feeds(url: str) -> None:
    store = PostgresStore(url)
    await store.open()
    try:
        feeds = [f"http://feeds.example/{n}" for n in range(100)]
        await store.publish_feeds(feeds)
        await _leave_dead_rows(url, "feeds", ["DELETE FROM feeds"])  # 100 dead, none live
        assert await _dead(url, "feeds") == (100, None)
        await store.publish_feeds(feeds)
        assert await store.reclaim_space(1000) == 0
        assert (await _dead(url, "feeds"))[1] is not None
    finally:
        await store.close()
