"""A feed's latest stored GUIDs are read newest first along an index on the feed, not by
sorting every article the feed has stored (migration 0021), in both stores."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from monitor.store.postgres.schema import migrate
from monitor.store.sql import articles
from monitor.store.sql.dialect import POSTGRES, SQLITE, Dialect
from tests.support.stores import POSTGRES_URL, opened_store, postgres_schema

FILL = """
INSERT INTO stories VALUES ('s', 'a1', 't', now(), now(), 1);
INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title, summary,
                      fetched_at)
SELECT 'a' || i, 's', 'f' || (i % 100), 'f', 'g' || i, 'l' || i, 't', 'x', now()
FROM generate_series(1, 20000) i;
"""


def _statement(dialect: Dialect) -> str:
    query = next(articles.latest_guids(dialect, "f1", 40))
    return dialect.render(query.statement)


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


async def test_sqlite_reads_a_feeds_latest_guids_off_the_feed_index(tmp_path: Path) -> None:
    async with opened_store("sqlite", tmp_path):
        with sqlite3.connect(tmp_path / "store.db") as db:
            plan = db.execute(f"EXPLAIN QUERY PLAN {_statement(SQLITE)}", ("f1", 40)).fetchall()
    steps = [row[3] for row in plan]
    assert "SEARCH articles USING INDEX articles_feed_arrival (feed_url=?)" in steps
    assert not any("TEMP B-TREE" in step for step in steps)  # no sort


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset")
async def test_postgres_reads_a_feeds_latest_guids_backwards_along_its_index() -> None:
    async with (
        postgres_schema() as url,
        await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row) as conn,
    ):
        await migrate(conn)
        await conn.execute(FILL)
        await conn.execute("ANALYZE articles")
        explained = await (
            await conn.execute("EXPLAIN (FORMAT JSON) " + _statement(POSTGRES), ("f1", 40))
        ).fetchone()
    assert explained is not None
    plan = explained["QUERY PLAN"]
    nodes = _nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    assert {node.get("Index Name") for node in nodes} >= {"articles_feed_arrival"}
    assert not any(node["Node Type"] in {"Sort", "Seq Scan"} for node in nodes), nodes
