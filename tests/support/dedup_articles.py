"""Articles and a SQLite store for the deduplicator's tests (tests/monitor/stories)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.feeds.normalise import content_fingerprint
from monitor.records.models import Article
from monitor.store.sqlite.store import SqliteStore

__all__ = ["NOW", "PROBE", "make_article", "sqlite_store"]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PROBE = "Iranian troops arrive in Latakia as Homs offensive nears"


def make_article(
    article_id: str,
    feed: str,
    guid: str,
    title: str,
    link: str = "",
    summary: str = "",
    feed_name: str = "",
    body: str = "",
) -> Article:
    return Article(
        article_id=article_id,
        feed_url=feed,
        feed_name=feed_name or feed,
        guid=guid,
        title=title,
        link=link,
        summary=summary,
        content="",
        published=None,
        fetched_at=NOW,
        fingerprint=content_fingerprint(title, summary),
        body=body,
    )


async def sqlite_store(path: Path) -> SqliteStore:
    store = SqliteStore(str(path))
    await store.open()
    return store
