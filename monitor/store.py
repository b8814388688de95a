"""The storage interface every backend implements, and the factory that picks one.

SQLite is the embedded default (``monitor.sqlite_store``). The interface is
shaped for a shared PostgreSQL later: each method is one short transaction,
never held across network I/O, and every write that must happen once (an
article, an alert, a delivery) is guarded by a unique key, so a repeat is a
no-op rather than a duplicate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

from monitor.config import StoreSettings
from monitor.models import (
    AlertRecord,
    Article,
    DedupDecision,
    Delivery,
    FeedState,
    StoryAlertState,
    WebSubSubscription,
)
from monitor.outbox import Outbox
from monitor.retention import PruneCutoffs

# Decides an article's alerts from its story's state, inside the transaction storing it.
AlertPlanner = Callable[[StoryAlertState], Sequence[AlertRecord]]


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """An article already stored, found by its feed GUID or its canonical link."""

    article_id: str
    story_id: str
    feed_url: str
    first_article_id: str
    matched_by: str = "guid"  # "guid", "link" or "fingerprint"


@dataclass(frozen=True, slots=True)
class WindowArticle:
    """An article of the dedup window, as the story index is warmed with it."""

    story_id: str
    first_article_id: str
    title: str
    summary: str
    seen: datetime


@dataclass(frozen=True, slots=True)
class StoryRecord:
    """A story's bookkeeping: what alerts and rules may say about it."""

    story_id: str
    first_article_id: str
    title: str
    article_count: int
    updates: int  # folded articles whose casualty count changed
    outlets: frozenset[str]  # feed URLs, or "wire:<agency>" for syndicated copies
    first_seen: datetime
    last_seen: datetime
    places: tuple[str, ...]  # most mentioned first
    actors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article read back from the store, with the story it was folded into."""

    article: Article
    story_id: str


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    """Everything a notifier's alert is built from, read in one query."""

    delivery: Delivery
    alert: AlertRecord
    title: str
    link: str
    summary: str
    feed_name: str
    published: datetime | None
    first_seen: datetime
    outlets: int
    thread: str | None = None  # the first message of (story, rule) on this notifier


@dataclass(frozen=True, slots=True)
class StorySummary:
    """A recent story as the status page lists it: its first article and how far it spread."""

    story_id: str
    title: str
    link: str
    summary: str
    feed_url: str
    feed_name: str
    article_count: int
    outlets: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class DatabaseStats:
    """Size and contents of the database (``wirewatch db stats``); 0 where a backend has
    no such figure (a server database has no file or pages)."""

    backend: str
    location: str
    schema_version: int
    size_bytes: int
    wal_bytes: int
    page_size: int
    page_count: int
    free_pages: int
    auto_vacuum: str
    rows: Mapping[str, int]  # table → row count
    alerts_by_state: Mapping[str, int]  # pending (a delivery still to go), done
    deliveries_by_state: Mapping[str, int]  # pending, sent, dead, silenced
    oldest_article: datetime | None  # fetched_at
    newest_article: datetime | None


class StoreUnavailableError(ConnectionError):
    """The store's database could not be reached; the message names it without credentials."""


class SchemaTooNewError(StoreUnavailableError):
    """The database was migrated by a newer wirewatch: running on a schema this code does not
    know could corrupt it, so the store refuses to open (restore the pre-upgrade backup)."""

    def __init__(self, database: str, found: int, known: int) -> None:
        super().__init__(
            f"{database}: schema version {found} is newer than this wirewatch knows ({known});"
            " upgrade wirewatch, or restore the backup taken before the upgrade"
        )


class Store(Outbox, Protocol):
    """Persistent state: feeds, stories and articles, alerts and their outbox."""

    async def open(self) -> None:
        """Connect and apply pending schema migrations."""

    async def close(self) -> None: ...

    async def feed_state(self, url: str) -> FeedState | None: ...

    async def save_feed_state(self, state: FeedState) -> None: ...

    async def known_guids(self, feed_url: str, guids: Sequence[str]) -> set[str]:
        """Which of ``guids`` the feed's stored articles already have."""

    async def feed_states(self) -> list[FeedState]:
        """Every feed's remembered state (``wirewatch feeds``, start-up scheduling)."""

    async def websub_subscriptions(self) -> list[WebSubSubscription]: ...

    async def save_websub_subscription(self, subscription: WebSubSubscription) -> None: ...

    async def find_article(
        self, feed_url: str, guid: str, link: str, fingerprint: str = ""
    ) -> KnownArticle | None:
        """The stored article with this (feed, GUID), else any with this canonical link,
        else any with this content fingerprint."""

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        """Articles fetched since ``since``, oldest first: what warms the story index."""

    async def story_outlets(self, story_id: str) -> frozenset[str]:
        """The distinct outlets that have reported the story so far; syndicated copies of
        one agency's text count once ("wire:<agency>", else the feed URL)."""

    async def story(self, story_id: str) -> StoryRecord | None:
        """The story's bookkeeping, or None if no such story is stored."""

    async def record_article(
        self,
        article: Article,
        decision: DedupDecision,
        alerts: Sequence[AlertRecord] | AlertPlanner,
    ) -> list[AlertRecord]:
        """Store the article, update its story, and queue alerts; return the alerts newly created.

        One transaction: an alert whose (story, rule, event) exists already is skipped,
        which is what makes "one alert per story" survive restarts. ``alerts`` may be a
        planner, called with the story's state after this article (monitor.story_alerts).
        """

    async def schema_version(self) -> int: ...

    async def articles_since(
        self, since: datetime, *, after: tuple[datetime, str] | None = None, limit: int = 500
    ) -> list[StoredArticle]:
        """One page of the articles fetched at or after ``since``, oldest first: those
        after ``after`` (the fetched_at and id of the previous page's last article)."""

    async def count_articles_since(self, since: datetime) -> int: ...

    async def prune_batch(self, kind: str, cutoffs: PruneCutoffs, limit: int, now: datetime) -> int:
        """Delete up to ``limit`` prunable rows of ``kind`` (one of ``retention.PRUNE_KINDS``)
        in one short transaction and return how many went. Never a pending delivery or its
        alert, an article an alert names, or a story with an article or alert left; a
        pruned article leaves a tombstone (stamped ``now``) that ``known_guids`` and
        ``find_article`` still answer for its (feed, GUID)."""

    async def count_prunable(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        """How many rows of each kind a full run with ``cutoffs`` would delete (dry run)."""

    async def reclaim_space(self, max_pages: int) -> int:
        """Give up to ``max_pages`` free pages back to the file system; return how many."""

    async def vacuum(self) -> None:
        """Rebuild the database compactly, once (may hold the database for a while)."""

    async def database_stats(self) -> DatabaseStats: ...

    # Read-only views for the status page: each one short query, capped by ``limit``.

    async def feed_health_counts(self) -> dict[str, int]:
        """Feeds the store knows, counted by health: ok, failing, gone, never_polled."""

    async def status_feeds(self, limit: int) -> list[FeedState]:
        """Up to ``limit`` feeds: failing ones first (longest failing first), then gone
        ones, then the rest by next poll, soonest first."""

    async def latest_stories(self, limit: int) -> list[StorySummary]:
        """The ``limit`` stories seen most recently, newest first."""

    async def story_alerts(self, story_ids: Sequence[str]) -> list[AlertRecord]:
        """Every alert raised on these stories, oldest first (``notifiers`` left empty:
        deliveries are read with ``list_alerts``)."""


class ArticleRecord(NamedTuple):
    """One article to store, as ``record_article`` takes it."""

    article: Article
    decision: DedupDecision
    alerts: Sequence[AlertRecord] | AlertPlanner


@runtime_checkable
class BatchIngestStore(Protocol):
    """What a store may add to :class:`Store` so a feed's new articles cost one round
    trip each way instead of two per article (docs/decisions/0013-batched-ingest.md).
    The pipeline uses it when the store has it, else ``find_article``/``record_article``."""

    async def find_articles(self, articles: Sequence[Article]) -> list[KnownArticle | None]:
        """``find_article`` for each article (its feed, GUID, link and fingerprint), in
        order, in one read."""

    async def record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        """``record_article`` for each record, in order, in ONE transaction (each sees the
        ones before it; all or none are stored); the alerts newly created by each."""


def open_store(settings: StoreSettings) -> Store:
    """The configured backend (not yet opened): SQLite, or PostgreSQL when ``url`` is set."""
    # Imported here: each backend module imports this one for the records above.
    if settings.backend == "postgresql" and settings.url is not None:
        from monitor.postgres_store import PostgresStore  # noqa: PLC0415

        return PostgresStore(
            settings.url.get_secret_value(),
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            timeout=settings.connect_timeout,
        )
    from monitor.sqlite_store import SqliteStore  # noqa: PLC0415

    return SqliteStore(settings.path, busy_timeout_ms=settings.busy_timeout_ms)


@asynccontextmanager
async def opened_store(settings: StoreSettings) -> AsyncIterator[Store]:
    """The configured backend, open for the block and closed after it (for commands)."""
    store = open_store(settings)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
