"""PostgreSQL side of the status page's read-only views, the twin of ``monitor.store.sqlite.status``.

Functions taking a connection are called by ``PostgresStore`` with one pooled connection.
Orders match SQLite's (NULLs first, byte order for text), so both backends list alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from monitor.records import AlertRecord, FeedState
from monitor.store.interface import StorySummary
from monitor.store.postgres.schema import Connection

_FEED_LIST = ", ".join(f'"{field.name}"' for field in fields(FeedState))  # "interval" is a keyword


async def feed_health_counts(conn: Connection) -> dict[str, int]:
    rows = await (await conn.execute(_HEALTH_COUNTS)).fetchall()
    return {row["health"]: int(row["feeds"]) for row in rows}


async def status_feeds(conn: Connection, limit: int) -> list[FeedState]:
    rows = await (await conn.execute(_STATUS_FEEDS, (limit,))).fetchall()
    return [FeedState(**row) for row in rows]


async def latest_stories(conn: Connection, limit: int) -> list[StorySummary]:
    rows = await (await conn.execute(_LATEST_STORIES, (limit,))).fetchall()
    return [StorySummary(**row) for row in rows]


async def story_alerts(conn: Connection, story_ids: Sequence[str]) -> list[AlertRecord]:
    if not story_ids:
        return []
    rows = await (await conn.execute(_STORY_ALERTS, (list(story_ids),))).fetchall()
    return [_alert(row) for row in rows]


def _alert(row: dict[str, Any]) -> AlertRecord:
    values = dict(row)
    terms = values.pop("terms")  # jsonb: a list
    return AlertRecord(**values, terms=tuple(terms), notifiers=())


_HEALTH_COUNTS = """
SELECT CASE WHEN disabled IS NOT NULL THEN 'gone'
            WHEN last_polled IS NULL THEN 'never_polled'
            WHEN error_count > 0 THEN 'failing'
            ELSE 'ok' END AS health,
       count(*) AS feeds
FROM feeds GROUP BY 1
"""
_STATUS_FEEDS = f"""
SELECT {_FEED_LIST} FROM feeds
ORDER BY CASE WHEN disabled IS NOT NULL THEN 1 WHEN error_count > 0 THEN 0 ELSE 2 END,
         failing_since NULLS FIRST, next_poll IS NULL, next_poll, url COLLATE "C"
LIMIT %s
"""  # noqa: S608 - column names from the dataclass, never input
_LATEST_STORIES = """
SELECT s.story_id, s.title, a.link, a.summary, a.feed_url, a.feed_name, s.article_count,
       (SELECT count(*) FROM story_outlets o WHERE o.story_id = s.story_id)::int AS outlets,
       s.first_seen, s.last_seen
FROM stories s JOIN articles a ON a.article_id = s.first_article_id
ORDER BY s.last_seen DESC, s.story_id COLLATE "C"
LIMIT %s
"""
_STORY_ALERTS = """
SELECT alert_id, story_id, article_id, rule, severity, terms, event, created_at, outlets, reason
FROM alerts WHERE story_id = ANY(%s)
ORDER BY created_at, alert_id COLLATE "C"
"""
