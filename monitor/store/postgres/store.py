"""PostgreSQL implementation of :class:`monitor.store.interface.Store`, for several daemons on one
database (docs/decisions/0016-postgresql-store.md).

A pool of autocommit connections (psycopg 3); every method borrows one connection for
one statement or one short transaction and never holds it across network I/O. What
must happen once is guarded by unique constraints with ``ON CONFLICT DO NOTHING``, so
two daemons storing the same article or raising the same alert cannot duplicate it.
Semantics match ``monitor.store.sqlite.store``: the contract tests run against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg_pool import PoolTimeout

from monitor.records import AlertRecord, Article, DedupDecision, FeedState, WebSubSubscription
from monitor.store.group_commit import FeedStateWriter
from monitor.store.interface import (
    AlertPlanner,
    KnownArticle,
    StoredArticle,
    StoryRecord,
    StorySummary,
    WindowArticle,
)
from monitor.store.postgres.feeds import (
    known_guids,
    read_feed_state,
    read_feed_states,
    read_subscriptions,
    write_feed_states,
    write_subscription,
)
from monitor.store.postgres.leases import PostgresLeases
from monitor.store.postgres.lookup import find_article, find_articles
from monitor.store.postgres.outbox import insert_alert, story_alert_state
from monitor.store.postgres.retention import PostgresRetention, tombstoned_guids
from monitor.store.postgres.schema import (
    Connection,
    connect,
    describe,
    make_pool,
    migrate,
    schema_version,
    without_secrets,
)
from monitor.store.postgres.status import (
    feed_health_counts,
    latest_stories,
    status_feeds,
    story_alerts,
)
from monitor.store.postgres.stories import (
    articles_since,
    count_articles_since,
    read_story,
    recent_articles,
    record_story,
    story_outlets,
)
from monitor.store.postgres.story_sync import StorySync, StoryWatch
from monitor.store.records import StoreUnavailableError

# (article, decision, alerts or a planner): what monitor.store.interface.ArticleRecord holds.
ArticleToStore = tuple[Article, DedupDecision, Sequence[AlertRecord] | AlertPlanner]


class PostgresStore(PostgresLeases, PostgresRetention):
    """The shared store. ``url`` is a libpq URL (``postgresql://user:password@host/db``);
    it may carry a password, so it is never logged or put in an error."""

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, timeout: float = 10.0
    ) -> None:
        self._url = url
        self._sizes = (min_size, max_size)
        self._timeout = timeout
        self._feed_writer = FeedStateWriter(self._write_feed_states)
        self.migrated: tuple[int, int] = (0, 0)  # (from, to) versions of the last open
        self.stories = StorySync()  # stories other daemons open reach this one's index

    def watch_stories(self, watch: StoryWatch) -> None:
        """Tell ``watch`` (the daemon's story index) of articles other daemons store."""
        self.stories.watch = watch

    def __repr__(self) -> str:
        return f"PostgresStore({describe(self._url)!r})"

    async def open(self) -> None:
        """Migrate over one direct connection (a refused or failed login fails here, at
        once and plainly), then open the pool."""
        async with await self._connect() as conn:
            try:
                self.migrated = await migrate(conn)
            except psycopg.Error as err:  # e.g. no rights, or a search_path schema missing
                raise self._unavailable(f"migrations not applied: {err}") from None
        min_size, max_size = self._sizes
        pool = make_pool(self._url, min_size=min_size, max_size=max_size, timeout=self._timeout)
        try:
            await pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout:
            await pool.close()
            raise self._unavailable("no connection in time") from None
        self._pool = pool

    async def _connect(self) -> Connection:
        try:
            return await connect(self._url, self._timeout)
        except psycopg.OperationalError as err:
            raise self._unavailable(str(err)) from None

    def _unavailable(self, reason: str) -> StoreUnavailableError:
        """One line naming the database, with the URL's credentials taken out."""
        line = " ".join(without_secrets(reason, self._url).split())
        return StoreUnavailableError(f"PostgreSQL at {describe(self._url)}: {line}")

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def schema_version(self) -> int:
        async with self._connection() as conn:
            return await schema_version(conn)

    async def feed_state(self, url: str) -> FeedState | None:
        async with self._connection() as conn:
            return await read_feed_state(conn, url)

    async def known_guids(self, feed_url: str, guids: Sequence[str]) -> set[str]:
        if not guids:
            return set()
        async with self._connection() as conn, conn.transaction():
            found = await known_guids(conn, feed_url, guids)
            rest = [guid for guid in guids if guid not in found]
            # Pruned articles' entries, still listed by their feed, are known too (0015).
            return found | await tombstoned_guids(conn, feed_url, rest) if rest else found

    async def feed_states(self) -> list[FeedState]:
        async with self._connection() as conn:
            return await read_feed_states(conn)

    async def save_feed_state(self, state: FeedState) -> None:
        await self._feed_writer.save(state)

    async def _write_feed_states(self, states: list[FeedState]) -> None:
        async with self._connection() as conn:
            await write_feed_states(conn, states)

    async def websub_subscriptions(self) -> list[WebSubSubscription]:
        async with self._connection() as conn:
            return await read_subscriptions(conn)

    async def save_websub_subscription(self, subscription: WebSubSubscription) -> None:
        async with self._connection() as conn:
            await write_subscription(conn, subscription)

    async def find_article(
        self, feed_url: str, guid: str, link: str, fingerprint: str = ""
    ) -> KnownArticle | None:
        async with self._connection() as conn:
            return await find_article(conn, feed_url, guid, link, fingerprint)

    async def find_articles(self, articles: Sequence[Article]) -> list[KnownArticle | None]:
        """``find_article`` for each article, in order: four queries for the whole batch."""
        async with self._connection() as conn, conn.transaction():
            found = await find_articles(conn, articles)
            await self.stories.catch_up(conn)  # the batch is decided knowing other daemons'
            return found

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        async with self._connection() as conn:
            await self.stories.start(conn)  # what is stored after this is read again
            return await recent_articles(conn, since)

    async def story_outlets(self, story_id: str) -> frozenset[str]:
        async with self._connection() as conn:
            return await story_outlets(conn, story_id)

    async def articles_since(
        self, since: datetime, *, after: tuple[datetime, str] | None = None, limit: int = 500
    ) -> list[StoredArticle]:
        async with self._connection() as conn:
            return await articles_since(conn, since, after, limit)

    async def count_articles_since(self, since: datetime) -> int:
        async with self._connection() as conn:
            return await count_articles_since(conn, since)

    async def story(self, story_id: str) -> StoryRecord | None:
        async with self._connection() as conn, conn.transaction():
            return await read_story(conn, story_id)

    async def feed_health_counts(self) -> dict[str, int]:
        async with self._connection() as conn:
            return await feed_health_counts(conn)

    async def status_feeds(self, limit: int) -> list[FeedState]:
        async with self._connection() as conn:
            return await status_feeds(conn, limit)

    async def latest_stories(self, limit: int) -> list[StorySummary]:
        async with self._connection() as conn:
            return await latest_stories(conn, limit)

    async def story_alerts(self, story_ids: Sequence[str]) -> list[AlertRecord]:
        async with self._connection() as conn:
            return await story_alerts(conn, story_ids)

    async def record_article(
        self,
        article: Article,
        decision: DedupDecision,
        alerts: Sequence[AlertRecord] | AlertPlanner,
    ) -> list[AlertRecord]:
        async with self._connection() as conn, conn.transaction():
            ((article, decision, alerts),) = await self.stories.before_write(
                conn, [(article, decision, alerts)]
            )
            created = await _record_article(conn, article, decision, alerts)
            await self.stories.after_write(conn)
            return created

    async def record_articles(self, records: Sequence[ArticleToStore]) -> list[list[AlertRecord]]:
        """``record_article`` for each record, in order, in one transaction (each sees the
        ones before it; all or none are stored)."""
        async with self._connection() as conn, conn.transaction():
            records = await self.stories.before_write(conn, records)
            created = [await _record_article(conn, *record) for record in records]
            await self.stories.after_write(conn)
            return created


async def _record_article(
    conn: Connection,
    article: Article,
    decision: DedupDecision,
    alerts: Sequence[AlertRecord] | AlertPlanner,
) -> list[AlertRecord]:
    outlet = await record_story(conn, article, decision)
    values = (article.article_id, decision.story_id, article.feed_url, article.feed_name,
              article.guid, article.link, article.title, article.summary, article.published,
              article.fetched_at, article.fingerprint, outlet,
              decision.facts.lead_fingerprint)  # fmt: skip
    await conn.execute(_INSERT_ARTICLE, values)
    if callable(alerts):  # planned against the story as it now stands
        alerts = alerts(await story_alert_state(conn, decision.story_id))
    return [alert for alert in alerts if await insert_alert(conn, alert)]


_INSERT_ARTICLE = """
INSERT INTO articles (article_id, story_id, feed_url, feed_name, guid, link, title, summary,
                      published, fetched_at, fingerprint, outlet, lead_fingerprint)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""
