"""SQLite side of the status page's read-only views: feed health, recent stories, their alerts.

Functions taking a connection run on the store's database thread (``SqliteStore._run``).
Every query is capped, so a page over 10,000 feeds and a year of stories stays quick.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from monitor.records import AlertRecord, FeedState
from monitor.store.interface import StorySummary
from monitor.store.sqlite.feeds import feed_state_from_row


def feed_health_counts(db: sqlite3.Connection) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in db.execute(_HEALTH_COUNTS)}


def status_feeds(db: sqlite3.Connection, limit: int) -> list[FeedState]:
    return [feed_state_from_row(row) for row in db.execute(_STATUS_FEEDS, (limit,))]


def latest_stories(db: sqlite3.Connection, limit: int) -> list[StorySummary]:
    return [_story(row) for row in db.execute(_LATEST_STORIES, (limit,))]


def story_alerts(db: sqlite3.Connection, story_ids: Sequence[str]) -> list[AlertRecord]:
    if not story_ids:
        return []
    marks = ", ".join("?" * len(story_ids))  # placeholders only: the ids are bound
    sql = _STORY_ALERTS.format(marks=marks)
    return [_alert(row) for row in db.execute(sql, tuple(story_ids))]


def _story(row: sqlite3.Row) -> StorySummary:
    return StorySummary(
        story_id=row["story_id"],
        title=row["title"],
        link=row["link"],
        summary=row["summary"],
        feed_url=row["feed_url"],
        feed_name=row["feed_name"],
        article_count=row["article_count"],
        outlets=row["outlets"],
        first_seen=datetime.fromisoformat(row["first_seen"]),
        last_seen=datetime.fromisoformat(row["last_seen"]),
    )


def _alert(row: sqlite3.Row) -> AlertRecord:
    return AlertRecord(
        alert_id=row["alert_id"],
        story_id=row["story_id"],
        article_id=row["article_id"],
        rule=row["rule"],
        severity=row["severity"],
        terms=tuple(json.loads(row["terms"])),
        notifiers=(),
        created_at=datetime.fromisoformat(row["created_at"]),
        event=row["event"],
        outlets=row["outlets"],
        reason=row["reason"],
    )


_HEALTH_COUNTS = """
SELECT CASE WHEN disabled IS NOT NULL THEN 'gone'
            WHEN last_polled IS NULL THEN 'never_polled'
            WHEN error_count > 0 THEN 'failing'
            ELSE 'ok' END AS health,
       count(*)
FROM feeds GROUP BY health
"""
_STATUS_FEEDS = """
SELECT * FROM feeds
ORDER BY CASE WHEN disabled IS NOT NULL THEN 1 WHEN error_count > 0 THEN 0 ELSE 2 END,
         failing_since, next_poll IS NULL, next_poll, url
LIMIT ?
"""
_LATEST_STORIES = """
SELECT s.story_id, s.title, s.article_count, s.first_seen, s.last_seen,
       a.link, a.summary, a.feed_url, a.feed_name,
       (SELECT count(*) FROM story_outlets o WHERE o.story_id = s.story_id) AS outlets
FROM stories s JOIN articles a ON a.article_id = s.first_article_id
ORDER BY s.last_seen DESC, s.story_id
LIMIT ?
"""
_STORY_ALERTS = """
SELECT alert_id, story_id, article_id, rule, severity, terms, event, created_at, outlets, reason
FROM alerts WHERE story_id IN ({marks})
ORDER BY created_at, alert_id
"""
