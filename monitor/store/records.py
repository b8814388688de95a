"""Plain records the store hands out and takes in, and its errors.

Kept apart from the interfaces so that both backends, the outbox and the interfaces
can import them without importing one another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from monitor.records import AlertRecord, Article, Delivery, MatchKind, StoryAlertState
from monitor.store.bodies import unpacked_body
from monitor.surges import Surge

# Decides an article's alerts from its story's state, inside the transaction storing it.
AlertPlanner = Callable[[StoryAlertState], Sequence[AlertRecord]]


# The columns holding a link an article is known by: its entry's, and its page's canonical.
LINK_COLUMNS = ("link", "page_canonical")


def links_of(link: str, page_canonical: str) -> tuple[str, ...]:
    """The links an article is known by (the entry's first, none empty): a stored article
    holding either one in either of ``LINK_COLUMNS`` is the same article."""
    return tuple(dict.fromkeys(url for url in (link, page_canonical) if url))


class FeedSet:
    """The feeds one daemon polls, as a claim names them: by ``set_id``, a digest of the
    sorted URLs, published once to a store several daemons share (decision 0063), so a
    claim carries a short id instead of every URL. Daemons with the same feeds share one."""

    __slots__ = ("set_id", "urls")

    def __init__(self, urls: Iterable[str]) -> None:
        self.urls: tuple[str, ...] = tuple(sorted(set(urls)))
        digest = hashlib.sha256("\n".join(self.urls).encode()).hexdigest()
        self.set_id = f"{len(self.urls)}-{digest[:32]}"

    def __len__(self) -> int:
        return len(self.urls)

    def __repr__(self) -> str:
        return f"FeedSet({self.set_id!r})"


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """An article already stored, found by its feed GUID, a link or its fingerprint."""

    article_id: str
    story_id: str
    feed_url: str
    first_article_id: str
    matched_by: MatchKind = MatchKind.GUID  # GUID, LINK or FINGERPRINT
    # When its story opened (the story's first_seen): a story that left the window is
    # indexed again as then, not as now (None: not known, a pruned article's tombstone).
    first_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class WindowArticle:
    """An article of the dedup window, as the story index is warmed with it."""

    story_id: str
    first_article_id: str
    title: str
    summary: str
    seen: datetime
    page_lead: str = ""  # the lead of its page it was grouped with ("": its summary's)
    language: str = ""  # the article's language code, its words read in it ("": unknown)
    embedding: bytes = b""  # its headline's sentence embedding (``Article.embedding``)
    stored: datetime | None = None  # fetched: the window holds it while this is in it
    absorbed: tuple[str, ...] = ()  # the stories it merged into its own (decision 0070)
    opened: datetime | None = None  # its story's first_seen: its first report stored


@dataclass(frozen=True, slots=True)
class MarkedWindow:
    """The window up to an arrival mark, read in one go: the articles a story index warmed
    from it holds, and the mark (with the article stored there, "" when none) it is at."""

    arrival: int
    article_id: str
    articles: list[WindowArticle]


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
    # The independent outlet it counts for: "wire:<agency>" for a syndicated copy, else
    # its feed URL (what story_outlets keeps; the surge backtest counts by it).
    outlet: str = ""


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
    packed_body: bytes | None = None  # the article's page text as stored (see body)
    language: str = ""  # the article's language code, "" when it could not be told
    surge: Surge | None = None  # a surge alert's surge (docs/decisions/0044)

    def body(self) -> str:
        """The article's page text, unpacked only when asked for (an excerpt needs it;
        a delivery that fails before rendering does not)."""
        return unpacked_body(self.packed_body, self.alert.article_id)


@dataclass(frozen=True, slots=True)
class RuleHour:
    """How many stories a rule first alerted on in one UTC hour (the status page's charts)."""

    rule: str
    hour: datetime  # the hour's start, UTC
    stories: int


@dataclass(frozen=True, slots=True)
class NotifierQueue:
    """A notifier's pending deliveries at a moment: whether any is due, and when the
    earliest of the others comes due (None: none waits)."""

    due: bool
    upcoming: datetime | None


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
    language: str = ""  # the first article's language code, "" when it could not be told


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
    article_bodies: int = 0  # articles stored with their page's text
    article_body_bytes: int = 0  # those texts' stored (compressed) size


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


class SchemaTooOldError(StoreUnavailableError):
    """A read-only opening (the read-only commands) found a schema older than this code's:
    reading it as if it were current could misreport, and migrating is a write."""

    def __init__(self, database: str, found: int, known: int) -> None:
        super().__init__(
            f"{database}: schema version {found} is older than this wirewatch's ({known});"
            " run `wirewatch db migrate` (or start the daemon once) to upgrade it, then retry"
        )


class NotWritableCause(StrEnum):
    """Why the store refuses writes."""

    DISK_FULL = "disk_full"  # SQLite SQLITE_FULL, PostgreSQL 53100 disk_full
    READ_ONLY = "read_only"  # a read-only file, file system, session or server


class StoreNotWritableError(StoreUnavailableError):
    """The store answers reads but refuses writes (a full disk, a read-only file): the
    one error every backend turns such a driver error into (monitor.store.writability)."""

    def __init__(self, cause: NotWritableCause, location: str, detail: str) -> None:
        super().__init__(f"{location}: store not writable ({cause}): {detail}")
        self.cause, self.location, self.detail = cause, location, detail


@dataclass(frozen=True, slots=True)
class PruneCutoffs:
    """Rows older than these may be pruned; None keeps that kind forever.

    ``alerts``: alerts (and their deliveries) created before it whose story was last seen
    before it and that have no pending delivery. ``articles``: articles fetched before it
    that no stored alert names; each leaves a tombstone. ``stories``: stories last seen
    before it with no article and no alert left. ``tombstones``: tombstones older than it.
    ``surges``: surges that fired before it.
    """

    articles: datetime | None = None
    stories: datetime | None = None
    alerts: datetime | None = None
    tombstones: datetime | None = None
    surges: datetime | None = None


class OpenedElsewhere(NamedTuple):
    """The story another daemon opened for what this daemon took for a new story."""

    story_id: str
    first_article_id: str
    evidence: MatchKind
    score: float | None = None  # what decided the match (``DedupDecision.score``)


# --- what the API and the story pages read (monitor.store.sql.reads) ---

Keyset = tuple[datetime, str]  # (time, id) of a page's last row: the next page starts after it


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """Which stories to list; every field left empty matches all. ``text`` is searched in
    every article's title and summary, case-insensitively in any script."""

    rule: str = ""  # stories a rule alerted on
    language: str = ""  # with an article in this language code
    outlet: str = ""  # with an article from this feed (its name or URL)
    since: datetime | None = None  # last seen at or after
    until: datetime | None = None  # first seen before
    text: str = ""
    story_id: str = ""  # this story alone


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Which alerts to list; every field left empty matches all."""

    rule: str = ""
    story_id: str = ""
    severity: str = ""
    state: str = ""  # having a delivery in this state
    since: datetime | None = None  # raised at or after
    until: datetime | None = None  # raised before
    alert_id: str = ""  # this alert alone


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """One article of a story, as a reader sees it (no body, no embedding)."""

    article_id: str
    feed_url: str
    feed_name: str
    outlet: str  # the feed URL, or "wire:<agency>" for a syndicated copy
    link: str
    title: str
    summary: str
    language: str
    author: str
    published: datetime | None
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class RuleCount:
    """How often a rule has alerted, over every alert kept."""

    rule: str
    alerts: int
    stories: int
    last_alert: datetime | None
