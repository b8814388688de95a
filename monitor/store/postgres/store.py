"""PostgreSQL implementation of :class:`monitor.store.interface.Store`, for several daemons on one
database (docs/decisions/0016-postgresql-store.md).

A pool of autocommit connections (psycopg 3); every method borrows one connection for
one statement or one short transaction and never holds it across network I/O. What
must happen once is guarded by unique constraints with ``ON CONFLICT DO NOTHING``, so
two daemons storing the same article or raising the same alert cannot duplicate it.
The operations both backends run alike come from :class:`monitor.store.sql.base.SqlStore`;
the contract tests run against both.
"""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import psycopg
import structlog
from psycopg_pool import PoolTimeout

from monitor.records import AlertRecord, Article
from monitor.store.cancelled import Stored, committed, returning, write_ending
from monitor.store.group_commit import FeedStateWriter
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.leases import PostgresLeases
from monitor.store.postgres.lookup import ask_articles, found_articles
from monitor.store.postgres.schema import (
    Connection,
    connect,
    describe,
    latest_version,
    make_pool,
    migrate,
    pipelined_transaction,
    run_steps,
    schema_version,
    without_secrets,
)
from monitor.store.postgres.statistics import Statistics
from monitor.store.postgres.story_sync import (
    OpenedMeanwhileError,
    StorySync,
    StoryWatch,
    newest_published,
)
from monitor.store.records import (
    AlertPlanner,
    DatabaseStats,
    KnownArticle,
    SchemaTooNewError,
    SchemaTooOldError,
    StoreUnavailableError,
    WindowArticle,
)
from monitor.store.sql import statements as sql
from monitor.store.sql import upkeep
from monitor.store.sql.articles import store_articles, store_page
from monitor.store.sql.dialect import POSTGRES, Dialect
from monitor.store.sql.steps import Steps, changed
from monitor.store.writability import Writability

T = TypeVar("T")
log = structlog.get_logger("monitor.store.postgres")
_PRUNE_KEYS = {"alerts": "alert_id", "articles": "article_id", "stories": "story_id",
               "tombstones": "article_id", "surges": "surge_id"}  # fmt: skip
# A pruned article leaves its tombstone in the same statement.
_PRUNE_ARTICLES = f"""
WITH gone AS (DELETE FROM articles WHERE article_id IN ({upkeep.batch("articles", _PRUNE_KEYS)})
              RETURNING article_id, story_id)
INSERT INTO pruned_articles (article_id, story_id, pruned_at)
SELECT article_id, story_id, :now FROM gone
ON CONFLICT (article_id) DO UPDATE SET story_id = excluded.story_id,
                                       pruned_at = excluded.pruned_at
"""
# A refused publishing is re-settled inside its try (decision 0088). A try is redone whole
# on these causes, each counted against its own budget: five tries, plus one per article
# for a story opened or merged elsewhere meanwhile, since each such retry folds one of
# the write's stories for good. A serialization failure or a deadlock (story rows are
# locked in one order) folds nothing: five tries, whatever the write's size.
_PUBLISH_ATTEMPTS = 5
_TRIES_PER_ARTICLE: dict[type[Exception], int] = {
    psycopg.errors.SerializationFailure: 0,
    psycopg.errors.DeadlockDetected: 0,
    OpenedMeanwhileError: 1,
}
_RETRIED = tuple(_TRIES_PER_ARTICLE)
# A late page plans alerts on its article's story: that story alone is locked meanwhile.
_LOCK_STORY = """
SELECT 1 FROM stories
WHERE story_id = (SELECT story_id FROM articles WHERE article_id = %s)
FOR UPDATE
"""
_SIZES = """
SELECT current_setting('block_size') AS block, current_setting('autovacuum') AS autovacuum,
       (SELECT sum(pg_total_relation_size(to_regclass(name)))
        FROM unnest(%s::text[]) AS name) AS size
"""


class PostgresStore(PostgresLeases):
    """The shared store. ``url`` is a libpq URL (``postgresql://user:password@host/db``);
    it may carry a password, so it is never logged or put in an error."""

    dialect: ClassVar[Dialect] = POSTGRES
    _prune_keys: ClassVar[Mapping[str, str]] = _PRUNE_KEYS

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 10.0,
        read_only: bool = False,
    ) -> None:
        self._url = url
        self._sizes = (min_size, max_size)
        self._timeout = timeout
        self._read_only = read_only  # for commands that only read: read-only sessions
        self._feed_writer = FeedStateWriter(self._write_feed_states)
        self.writability = Writability(describe(url))
        self.stories = StorySync()  # stories other daemons open reach this one's index
        self.statistics = Statistics()  # ANALYZE after growth (the retention run vacuums)
        self._published_sets = set()

    def watch_stories(self, watch: StoryWatch) -> None:
        """Tell ``watch`` (the daemon's story index) of articles other daemons store."""
        self.stories.watch = watch

    def __repr__(self) -> str:
        return f"PostgresStore({describe(self._url)!r})"

    async def _perform(self, steps: Steps[T], *, snapshot: bool = False, write: bool = False) -> T:
        """One statement alone; several in one transaction, pipelined: BEGIN, the writes
        whose answers nobody reads and COMMIT go out with the next read, or together."""
        if not (snapshot or write):
            async with self._connection() as conn:
                return await run_steps(conn, steps)
        async with self._connection() as conn, pipelined_transaction(conn) as block:
            done = await run_steps(conn, steps, block.pipeline)
            returning(done)  # what a caller cancelled at the COMMIT hears it stored with
        return done

    def _prune_articles(self, values: dict[str, Any]) -> Steps[int]:
        return changed(_PRUNE_ARTICLES, values)  # each leaves its tombstone, in one statement

    async def reclaim_space(self, max_pages: int) -> int:
        """Vacuumed pages are reused, not handed back: 0. Autovacuum off, the retention
        run vacuums (its deletions, and feeds' polls, leave dead rows nobody else reclaims)."""
        async with self._connection() as conn:
            await self.statistics.vacuum_dead(conn)
        return 0

    async def vacuum(self) -> None:
        async with self._connection() as conn:  # autocommit: VACUUM refuses a transaction
            await conn.execute(f"VACUUM (ANALYZE) {', '.join(sql.TABLES)}")

    async def database_stats(self) -> DatabaseStats:
        async with self._connection() as conn, conn.transaction():
            sizes = await (await conn.execute(_SIZES, (list(sql.TABLES),))).fetchone()
            assert sizes is not None  # aggregates always return a row
            version = await schema_version(conn)
            contents = await run_steps(conn, upkeep.contents())
        block, size = int(sizes["block"]), int(sizes["size"] or 0)
        return DatabaseStats(
            backend="postgresql",
            location=describe(self._url),
            schema_version=version,
            size_bytes=size,
            wal_bytes=0,
            page_size=block,
            page_count=size // block,
            free_pages=0,
            auto_vacuum="autovacuum" if sizes["autovacuum"] == "on" else "none",
            **contents,
        )

    async def open(self) -> None:
        """Migrate over one direct connection (a refused or failed login fails here, at
        once and plainly), then open the pool. Read-only: the schema is checked, not
        migrated, and every session refuses writes."""
        try:
            conn = await connect(self._url, self._timeout)
        except psycopg.OperationalError as err:
            raise self._unavailable(str(err)) from None
        async with conn:
            try:
                self.migrated = await (_current(conn) if self._read_only else migrate(conn))
                if not self._read_only:
                    await self.statistics.refresh_if_never(conn)
            except psycopg.Error as err:  # e.g. no rights, or a search_path schema missing
                raise self._unavailable(f"migrations not applied: {err}") from None
        pool = make_pool(self._url, *self._sizes, timeout=self._timeout, read_only=self._read_only)
        try:
            await pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout:
            await pool.close()
            raise self._unavailable("no connection in time") from None
        self._pool = pool

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

    async def find_articles(self, articles: Sequence[Article]) -> list[KnownArticle | None]:
        """``find_article`` for each article, in order: four queries for the whole batch."""
        async with self._connection() as conn:
            async with pipelined_transaction(conn):  # all sent, then waited for once
                asked = await ask_articles(conn, articles)
                page = await self.stories.ask(conn)
            found = await found_articles(asked, articles)
            await self.stories.catch_up(conn, asked=page)  # decided knowing other daemons'
            return found

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        async with self._connection() as conn:
            await self.stories.start(conn)  # what is stored after this is read again
        return await super().recent_articles(since)

    async def index_mark(self) -> int:
        """The story sync's mark: articles other daemons stored past it are not learned."""
        return self.stories.mark

    async def articles_after(self, mark: int, since: datetime) -> list[WindowArticle]:
        """From the snapshot's mark; the sync mark moves to the newest article read here,
        so what is stored later is caught up with like any other daemon's article."""
        async with self._connection() as conn:
            self.stories.mark = mark
            await self.stories.start(conn)
        return await self._window_between(mark, self.stories.mark, since)

    async def record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        created = await self._record_retried(records)
        committed(created)  # a cancel during the refresh below finds the articles stored
        if self.statistics.grew(len(records)):
            async with self._connection() as conn:  # after the commit: outside the lock
                await self.statistics.refresh(conn)
        return created

    async def _record_retried(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        """Tries until one lands; raises the error of a cause whose budget is spent."""
        failed: Counter[type[Exception]] = Counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._record_articles(records)
            except _RETRIED as err:
                cause, tries = _budget(err, len(records))
                failed[cause] += 1
                if failed[cause] >= tries:
                    raise
                _log_retry(err, attempt, len(records))

    async def _record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        """One attempt: decided knowing what was published up to a mark, published under
        the stories lock in one statement, refused when a story opened meanwhile
        elsewhere may be the one this write would open (decision 0056), then re-settled
        from a savepoint and published again, or redone folded (decision 0088)."""
        newest = None
        try:
            async with self._connection() as conn:
                with write_ending() as ending:
                    try:
                        async with pipelined_transaction(conn) as block:
                            folded, known = await self.stories.before_write(conn, records)
                            stored = store_articles(POSTGRES, folded)
                            created = await run_steps(conn, stored, block.pipeline)
                            refusable = self.stories.refusable(folded)
                            asked = await self.stories.ask_settling(conn, refusable)
                            await block.leave()  # every answer read, the settling's with them
                            known = await self.stories.settle(conn, folded, known, asked)
                            # Alone under the stories lock, sent with the COMMIT in one message;
                            # refused, re-settled from the savepoint and sent again.
                            self.stories.publish_at_commit(block, conn, folded, known, refusable)
                            returning(created)
                    except asyncio.CancelledError:
                        if ending.stored is Stored.YES:
                            newest = newest_published(block)
                        raise
                newest = newest_published(block)  # committed
            return created
        finally:
            self.stories.published(records, newest)

    async def record_page(
        self, article_id: str, body: str, alerts: AlertPlanner, language: str = ""
    ) -> list[AlertRecord] | None:
        """With the story's row locked, so no other daemon plans alerts on it meanwhile."""
        page = store_page(POSTGRES, article_id, body, alerts, language)
        async with self._connection() as conn, pipelined_transaction(conn) as block:
            await conn.execute(_LOCK_STORY, (article_id,))
            created = await run_steps(conn, page, block.pipeline)
            returning(created)
        return created


def _budget(err: Exception, articles: int) -> tuple[type[Exception], int]:
    """The cause of a retried error, and how many tries a write of ``articles`` gets for it."""
    cause = next(kind for kind in _RETRIED if isinstance(err, kind))
    return cause, _PUBLISH_ATTEMPTS + _TRIES_PER_ARTICLE[cause] * articles


def _log_retry(err: Exception, attempt: int, articles: int) -> None:
    """A refused write is routine (decisions 0056, 0073); a deadlock should no longer happen."""
    deadlock = isinstance(err, psycopg.errors.DeadlockDetected)
    emit = log.warning if deadlock else log.info
    reason = "deadlock_detected" if deadlock else "serialization_failure"
    if isinstance(err, OpenedMeanwhileError):
        reason = "opened_meanwhile"
    emit("store_write_retried", attempt=attempt, reason=reason, articles=articles)


async def _current(conn: Connection) -> tuple[int, int]:
    """The schema version, which must be this code's (a read-only store cannot migrate)."""
    found, known = await schema_version(conn), latest_version()
    if found != known:
        error = SchemaTooNewError if found > known else SchemaTooOldError
        raise error("PostgreSQL store", found, known)
    return found, found
