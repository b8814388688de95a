"""Feeds and SQL for the lease tests on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

URLS = [f"https://feeds.example/{n:02d}.xml" for n in range(20)]

LATER = datetime(2100, 1, 1, tzinfo=UTC)


async def run_sql(url: str, statement: str, *values: object) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(statement, values)
