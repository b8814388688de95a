"""The storage interfaces every backend implements (SQLite, PostgreSQL).

Each method is one short transaction, never held across network I/O, and every write
that must happen once (an article, an alert, a delivery) is guarded by a unique key, so
a repeat is a no-op rather than a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol, runtime_checkable

from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    Feedback,
    FeedState,
    RuleFeedback,
    Silence,
    WebSubSubscription,
)
from monitor.store.outbox import AlertListing, Outbox
from monitor.store.records import (
    AlertFilter,
    AlertPlanner,
    DatabaseStats,
    FeedSet,
    Keyset,
    KnownArticle,
    MarkedWindow,
    PruneCutoffs,
    RuleCount,
    RuleHour,
    StoredArticle,
    StoreNotWritableError,
    StoryArticle,
    StoryFilter,
    StoryRecord,
    StorySummary,
    WindowArticle,
)
from monitor.surges import Surge


class Store(Outbox, Protocol):
    """Persistent state: feeds, stories and articles, alerts and their outbox."""

    async def open(self) -> None:
        """Connect and apply pending schema migrations."""

    async def close(self) -> None: ...

    async def write_check(self) -> StoreNotWritableError | None:
        """None when the store takes writes, else why not (a full disk, a read-only file).
        It writes only while the last write failed (monitor.store.writability)."""

    async def feed_state(self, url: str) -> FeedState | None: ...

    async def save_feed_state(self, state: FeedState) -> None: ...

    async def known_guids(self, feed_url: str, guids: Sequence[str]) -> set[str]: ...

    async def latest_guids(self, feed_url: str, limit: int) -> list[str]:
        """GUIDs of the feed's ``limit`` most recently stored articles, newest first."""

    async def feed_states(self) -> list[FeedState]:
        """Every feed's remembered state (``wirewatch feeds``, start-up scheduling)."""

    async def websub_subscriptions(self) -> list[WebSubSubscription]: ...

    async def save_websub_subscription(self, subscription: WebSubSubscription) -> None: ...

    async def find_article(
        self, feed_url: str, guid: str, link: str, fingerprint: str = "", page_canonical: str = ""
    ) -> KnownArticle | None:
        """The stored article with this (feed, GUID), else any holding ``link`` or
        ``page_canonical`` as its link or its page's canonical, else any with this
        content fingerprint."""

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        """Articles fetched since ``since``, oldest first: what warms the story index."""

    async def index_mark(self) -> int:
        """The arrival number (SQLite's rowid, PostgreSQL's seq) up to which every stored
        article is known to this daemon's story index: what a snapshot of it is taken at
        (on PostgreSQL the story sync's mark: other daemons' later articles are not)."""

    async def article_at(self, arrival: int) -> str | None:
        """The id of the article stored with this arrival number, if it is still stored."""

    async def window_to_mark(self, since: datetime) -> MarkedWindow:
        """The articles fetched since ``since`` stored up to the newest arrival, oldest
        first (as :meth:`recent_articles`), with that arrival and the article there: a
        replay of ``articles_after`` it then misses and repeats none."""

    async def articles_after(self, mark: int, since: datetime) -> list[WindowArticle]:
        """Articles stored after arrival ``mark`` and fetched since ``since``, in the order
        they were stored: what a story index snapshot taken at ``mark`` has not seen."""

    async def story_outlets(self, story_id: str) -> frozenset[str]:
        """The distinct outlets that have reported the story so far; syndicated copies of
        one agency's text count once ("wire:<agency>", else the feed URL)."""

    async def story(self, story_id: str) -> StoryRecord | None: ...

    async def record_article(
        self,
        article: Article,
        decision: DedupDecision,
        alerts: Sequence[AlertRecord] | AlertPlanner,
    ) -> list[AlertRecord]:
        """Store the article, update its story, and queue alerts; return the alerts newly created.

        One transaction: an alert whose (story, rule, event) exists already is skipped,
        which is what makes "one alert per story" survive restarts. ``alerts`` may be a
        planner, called with the story's state after this article (monitor.ingest.story_alerts).
        """

    async def record_page(
        self, article_id: str, body: str, alerts: AlertPlanner, language: str = ""
    ) -> list[AlertRecord] | None:
        """Add a page's text that came late to the stored article (kept when it has one),
        with the ``language`` the article reads as with it (unless "")
        and queue the alerts ``alerts`` plans against its story's state, in one
        transaction; return the alerts newly created, None when no such article is stored."""

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

    async def record_surges(self, fired: Sequence[Surge]) -> None:
        """Keep surges that fired; one already kept (same ``surge_id``) is left as it is."""

    async def list_surges(self, since: datetime) -> list[Surge]:
        """Surges fired at or after ``since``, oldest first."""

    async def latest_surges(self, since: datetime, limit: int) -> list[Surge]:
        """The ``limit`` surges fired last at or after ``since``, newest first."""

    async def save_surge_state(self, state: bytes, instance: str = "") -> None:
        """Replace the surge detector's saved state (``SurgeDetector.snapshot()``) of the
        daemon named ``instance`` (``[daemon] instance``; empty: the unnamed daemon's)."""

    async def load_surge_state(self, instance: str = "") -> bytes | None:
        """The saved state of ``instance``'s surge detector, None when none was saved."""

    async def article_languages(self, limit: int) -> list[str]:
        """The languages stored articles are in (codes, sorted; unknown left out), at most
        ``limit`` of them."""

    async def story_alerts(self, story_ids: Sequence[str]) -> list[AlertRecord]:
        """Every alert raised on these stories, oldest first (``notifiers`` left empty:
        deliveries are read with ``list_alerts``)."""

    async def record_surge_alerts(
        self,
        fired: Sequence[Surge],
        alerts: Sequence[AlertRecord],
        cooldown: timedelta = timedelta(0),
    ) -> list[AlertRecord]:
        """Keep the surges (as ``record_surges``) and queue their alerts, in one
        transaction; each alert is filed on its story's first article (``article_id`` is
        filled in) and skipped when the story is gone; a surge whose kind and key another
        surge already fired within ``cooldown`` before it (another daemon on the shared
        store saw it first) is neither kept nor alerted; return the alerts newly created."""

    # Readers' views (the JSON API, story pages): keyset-paged, newest first.

    async def find_stories(
        self, chosen: StoryFilter, *, after: Keyset | None = None, limit: int = 50
    ) -> list[StorySummary]:
        """Up to ``limit`` stories ``chosen`` picks, last seen first, after ``after`` (the
        last seen time and id of the previous page's last story)."""

    async def story_articles(self, story_id: str) -> list[StoryArticle]:
        """Every article kept of the story, in the order they were fetched."""

    async def find_alerts(
        self, chosen: AlertFilter, *, after: Keyset | None = None, limit: int = 50
    ) -> list[AlertListing]:
        """Up to ``limit`` alerts ``chosen`` picks, newest first, after ``after``."""

    async def rule_counts(self) -> list[RuleCount]:
        """Alerts and stories per rule that has alerted, by rule name."""

    async def silence(self, silence_id: int) -> Silence | None: ...

    async def expire_silence(self, silence_id: int, now: datetime) -> bool:
        """End an active silence at ``now`` (it stays listed); False when there is none
        such or it has expired already."""

    async def rule_activity(self, rules: Sequence[str], since: datetime) -> list[RuleHour]:
        """Per rule of ``rules`` and UTC hour since ``since``, how many stories the rule
        first alerted on (its "new" alerts); hours without one are left out."""

    async def record_feedback(self, given: Feedback) -> Feedback | None:
        """Keep a verdict on an alert (its ``rule`` and ``feedback_id`` filled in), beside
        any earlier ones: the latest counts. None, nothing kept, when no such alert."""

    async def feedback_history(self, alert_ids: Sequence[str]) -> dict[str, list[Feedback]]:
        """Every verdict on each of these alerts that has one, oldest first."""

    async def rule_feedback(self, since: datetime) -> list[RuleFeedback]:
        """Per rule with alerts raised since ``since`` (surge alerts left out), how many,
        and the latest verdict on each counted by kind; by rule name."""


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
        """``find_article`` for each article (its feed, GUID, links and fingerprint), in
        order, in one read."""

    async def record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        """``record_article`` for each record, in order, in ONE transaction (each sees the
        ones before it; all or none are stored); the alerts newly created by each."""


@runtime_checkable
class FeedLeases(Protocol):
    """A store several daemons share: who polls which feed, who sends which delivery,
    and who does housekeeping."""

    def claim_as(self, owner: str, lease_seconds: float) -> None: ...

    async def publish_feeds(self, urls: Sequence[str]) -> None: ...

    async def claim_due(
        self, owner: str, limit: int, lease_seconds: float, feeds: FeedSet
    ) -> list[tuple[FeedState, datetime]]: ...

    async def renew_leases(
        self, owner: str, urls: Sequence[str], lease_seconds: float
    ) -> set[str]: ...

    async def release(self, owner: str, url: str, next_poll: datetime | None) -> bool: ...

    async def lease_owners(self) -> dict[str, str]: ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]: ...
