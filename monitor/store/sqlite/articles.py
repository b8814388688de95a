"""Reading stored articles back in pages, for ``wirewatch rules backtest``.

Runs on ``SqliteStore``'s thread like every other statement. Pages are keyed on
(fetched_at, article_id), so a page costs the same however deep into the
history it starts. The articles table keeps no content or entry tags, so those
come back empty.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from monitor.records import Article
from monitor.store.interface import StoredArticle

PageKey = tuple[datetime, str]  # (fetched_at, article_id) of the last article of a page


def articles_since(
    db: sqlite3.Connection, since: datetime, after: PageKey | None, limit: int
) -> list[StoredArticle]:
    start = (_iso(after[0]), after[1]) if after else (_iso(since), "")
    rows = db.execute(_PAGE, (_iso(since), *start, limit)).fetchall()
    return [_stored(row) for row in rows]


def count_articles_since(db: sqlite3.Connection, since: datetime) -> int:
    return int(db.execute(_COUNT, (_iso(since),)).fetchone()[0])


def _stored(row: sqlite3.Row) -> StoredArticle:
    article = Article(
        article_id=row["article_id"],
        feed_url=row["feed_url"],
        feed_name=row["feed_name"],
        guid=row["guid"],
        title=row["title"],
        link=row["link"],
        summary=row["summary"],
        content="",
        published=datetime.fromisoformat(row["published"]) if row["published"] else None,
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
    )
    return StoredArticle(article, row["story_id"])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


_PAGE = """
SELECT article_id, story_id, feed_url, feed_name, guid, link, title, summary, published,
       fetched_at
FROM articles
WHERE fetched_at >= ? AND (fetched_at, article_id) > (?, ?)
ORDER BY fetched_at, article_id
LIMIT ?
"""
_COUNT = "SELECT count(*) FROM articles WHERE fetched_at >= ?"
