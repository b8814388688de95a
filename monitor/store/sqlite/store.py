"""SQLite implementation of :class:`monitor.store.interface.Store`.

One connection, used only from one dedicated thread, so the event loop never
blocks on disk and SQLite never sees two threads. WAL lets readers (the CLI,
a status page) work while the daemon writes; every write is one short
transaction, never held across network I/O.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    FeedState,
    WebSubSubscription,
    article_id,
)
from monitor.store.group_commit import FeedStateWriter
from monitor.store.interface import (
    AlertPlanner,
    ArticleRecord,
    KnownArticle,
    StoredArticle,
    StoryRecord,
    StorySummary,
    WindowArticle,
)
from monitor.store.records import SchemaTooNewError
from monitor.store.sqlite.articles import articles_since, count_articles_since
from monitor.store.sqlite.feeds import (
    known_guids,
    read_feed_state,
    read_feed_states,
    read_subscriptions,
    write_feed_states,
    write_subscription,
)
from monitor.store.sqlite.outbox import SqliteOutbox, insert_alert, story_alert_state
from monitor.store.sqlite.retention import SqliteRetention, tombstone, tombstoned_guids
from monitor.store.sqlite.status import (
    feed_health_counts,
    latest_stories,
    status_feeds,
    story_alerts,
)
from monitor.store.sqlite.stories import read_story, recent_articles, record_story

T = TypeVar("T")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("monitor.store") / "migrations"
    scripts = [
        (int(item.name.split("_", 1)[0]), item.read_text(encoding="utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".sql")
    ]
    return sorted(scripts)


class SqliteStore(SqliteOutbox, SqliteRetention):
    """The embedded store: a file path, or ``:memory:`` for a throwaway one.

    The outbox methods (deliveries, batches, threads, silences) come from
    :class:`monitor.store.sqlite.outbox.SqliteOutbox`."""

    # One thread runs every statement in the order it was asked for (monitor.ingest.batch relies
    # on it to keep feeds in arrival order without queueing for the lock early).
    answers_in_order = True

    def __init__(self, path: str, *, busy_timeout_ms: int = 5000, read_only: bool = False) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._read_only = read_only  # for tools: no migrations, and SQLite refuses any write
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._db: sqlite3.Connection | None = None
        self._feed_writer = FeedStateWriter(self._write_feed_states)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            assert self._db is not None, "store is not open"
            result = work(self._db)
            if isinstance(result, sqlite3.Cursor):
                # Finalise it on this thread: a cursor dropped later on the event loop's
                # thread resets its statement while this thread runs the next one, and
                # SQLite answers "bad parameter or other API misuse".
                result.close()
            return result

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._connect)

    def _connect(self) -> None:
        if self._read_only:
            self._db = _connect_read_only(self.path, self._busy_timeout_ms)
            return
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        # Takes effect in a new file only (an existing one needs `wirewatch db vacuum`):
        # pages freed by retention can then be given back (decision 0015).
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db, self.path)
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._run(lambda db: db.close())
            self._db = None
        self._executor.shutdown(wait=True)

    async def schema_version(self) -> int:
        return await self._run(lambda db: int(db.execute("PRAGMA user_version").fetchone()[0]))

    async def feed_state(self, url: str) -> FeedState | None:
        return await self._run(lambda db: read_feed_state(db, url))

    async def known_guids(self, feed_url: str, guids: Sequence[str]) -> set[str]:
        return await self._run(lambda db: _known_or_pruned(db, feed_url, guids))

    async def feed_states(self) -> list[FeedState]:
        return await self._run(read_feed_states)

    async def save_feed_state(self, state: FeedState) -> None:
        await self._feed_writer.save(state)

    async def _write_feed_states(self, states: list[FeedState]) -> None:
        await self._run(lambda db: write_feed_states(db, states))

    async def websub_subscriptions(self) -> list[WebSubSubscription]:
        return await self._run(read_subscriptions)

    async def save_websub_subscription(self, subscription: WebSubSubscription) -> None:
        await self._run(lambda db: write_subscription(db, subscription))

    async def find_article(
        self, feed_url: str, guid: str, link: str, fingerprint: str = ""
    ) -> KnownArticle | None:
        return await self._run(lambda db: _find_article(db, feed_url, guid, link, fingerprint))

    async def find_articles(self, articles: Sequence[Article]) -> list[KnownArticle | None]:
        def query(db: sqlite3.Connection) -> list[KnownArticle | None]:
            return [_find_article(db, a.feed_url, a.guid, a.link, a.fingerprint) for a in articles]

        return await self._run(query)

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        return await self._run(lambda db: recent_articles(db, since))

    async def story_outlets(self, story_id: str) -> frozenset[str]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT outlet FROM story_outlets WHERE story_id = ?", (story_id,)
            ).fetchall()
        )
        return frozenset(row[0] for row in rows)

    async def articles_since(
        self, since: datetime, *, after: tuple[datetime, str] | None = None, limit: int = 500
    ) -> list[StoredArticle]:
        return await self._run(lambda db: articles_since(db, since, after, limit))

    async def count_articles_since(self, since: datetime) -> int:
        return await self._run(lambda db: count_articles_since(db, since))

    async def story(self, story_id: str) -> StoryRecord | None:
        return await self._run(lambda db: read_story(db, story_id))

    async def feed_health_counts(self) -> dict[str, int]:
        return await self._run(feed_health_counts)

    async def status_feeds(self, limit: int) -> list[FeedState]:
        return await self._run(lambda db: status_feeds(db, limit))

    async def latest_stories(self, limit: int) -> list[StorySummary]:
        return await self._run(lambda db: latest_stories(db, limit))

    async def story_alerts(self, story_ids: Sequence[str]) -> list[AlertRecord]:
        return await self._run(lambda db: story_alerts(db, story_ids))

    async def record_article(
        self,
        article: Article,
        decision: DedupDecision,
        alerts: Sequence[AlertRecord] | AlertPlanner,
    ) -> list[AlertRecord]:
        return await self._run(lambda db: _record_article(db, article, decision, alerts))

    async def record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        return await self._run(lambda db: _record_articles(db, records))


def _connect_read_only(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection that cannot write; the schema must be the one this code expects."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    found, expected = int(db.execute("PRAGMA user_version").fetchone()[0]), _migrations()[-1][0]
    if found != expected:
        db.close()
        raise sqlite3.OperationalError(f"store schema is version {found}, expected {expected}")
    return db


def _known_or_pruned(db: sqlite3.Connection, feed_url: str, guids: Sequence[str]) -> set[str]:
    """Stored GUIDs, and those whose article retention pruned (its tombstone remains)."""
    found = known_guids(db, feed_url, guids)
    rest = {article_id(feed_url, guid): guid for guid in guids if guid not in found}
    return found | tombstoned_guids(db, rest) if rest else found


def _find_article(
    db: sqlite3.Connection, feed_url: str, guid: str, link: str, fingerprint: str
) -> KnownArticle | None:
    keys = (("guid", _FIND_BY_GUID, (feed_url, guid)), ("link", _FIND_BY_LINK, (link,)),
            ("fingerprint", _FIND_BY_FINGERPRINT, (fingerprint,)))  # fmt: skip
    for matched_by, sql, values in keys:
        row = db.execute(sql, values).fetchone() if all(values) else None
        if row is not None:
            return KnownArticle(**dict(row), matched_by=matched_by)
        if matched_by == "guid" and (pruned := _pruned_article(db, feed_url, guid)):
            return pruned  # before the link: the same feed's entry is seen, not news
    return None


def _pruned_article(db: sqlite3.Connection, feed_url: str, guid: str) -> KnownArticle | None:
    """A pruned article's entry, back in its feed, is one we have seen (decision 0015)."""
    pruned = tombstone(db, article_id(feed_url, guid)) if guid else None
    if pruned is None:
        return None
    return KnownArticle(pruned[0], pruned[1], feed_url, pruned[0], matched_by="guid")


def _migrate(db: sqlite3.Connection, path: str) -> None:
    current = int(db.execute("PRAGMA user_version").fetchone()[0])
    if current > _migrations()[-1][0]:
        db.close()
        raise SchemaTooNewError(path, current, _migrations()[-1][0])
    for version, script in _migrations():
        if version > current:
            # executescript commits first; the version bump rides in the same script.
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")


def _record_article(
    db: sqlite3.Connection,
    article: Article,
    decision: DedupDecision,
    alerts: Sequence[AlertRecord] | AlertPlanner,
) -> list[AlertRecord]:
    with _transaction(db):
        return _store_article(db, article, decision, alerts)


def _record_articles(
    db: sqlite3.Connection, records: Sequence[ArticleRecord]
) -> list[list[AlertRecord]]:
    """Every record in order, in one transaction: each sees the ones before it."""
    with _transaction(db):
        return [_store_article(db, *record) for record in records]


def _store_article(
    db: sqlite3.Connection,
    article: Article,
    decision: DedupDecision,
    alerts: Sequence[AlertRecord] | AlertPlanner,
) -> list[AlertRecord]:
    """The article, its story's bookkeeping and its new alerts, in the caller's transaction."""
    outlet = record_story(db, article, decision)
    values = _article_values(article, decision.story_id)
    db.execute(_INSERT_ARTICLE, (*values, outlet, decision.facts.lead_fingerprint))
    if callable(alerts):  # planned against the story as it now stands
        alerts = alerts(story_alert_state(db, decision.story_id))
    return [alert for alert in alerts if insert_alert(db, alert)]


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (the connection is autocommit)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _article_values(article: Article, story_id: str) -> tuple[Any, ...]:
    return (
        article.article_id,
        story_id,
        article.feed_url,
        article.feed_name,
        article.guid,
        article.link,
        article.title,
        article.summary,
        _iso(article.published),
        _iso(article.fetched_at),
        article.fingerprint,
    )


_FIND_COLUMNS = """
SELECT a.article_id, a.story_id, a.feed_url, s.first_article_id
FROM articles a JOIN stories s USING (story_id)
"""
_FIND_BY_GUID = _FIND_COLUMNS + "WHERE a.feed_url = ? AND a.guid = ?"
# The "<> ''" terms let SQLite use the partial indexes (articles_link, articles_fingerprint):
# it cannot know a bound parameter is non-empty, and without them every lookup scans.
_FIND_BY_LINK = _FIND_COLUMNS + "WHERE a.link = ? AND a.link <> '' ORDER BY a.fetched_at LIMIT 1"
_FIND_BY_FINGERPRINT = (
    _FIND_COLUMNS + "WHERE a.fingerprint = ? AND a.fingerprint <> '' ORDER BY a.fetched_at LIMIT 1"
)
_INSERT_ARTICLE = """
INSERT OR IGNORE INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title,
                                summary, published, fetched_at, fingerprint, outlet,
                                lead_fingerprint)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
