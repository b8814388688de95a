"""Plain records that flow through the pipeline, stage by stage.

FetchResult  (fetcher)  → ParsedFeed of RawEntry (parser)
→ Article (normalise)   → DedupDecision (dedup) → AlertRecord (pipeline)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from monitor.records.ids import SURGE_ALERT, rule_covers
from rules import Severity


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the daemon remembers about one feed between polls and restarts."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_polled: datetime | None = None
    last_status: int | None = None
    error_count: int = 0  # consecutive failed polls
    last_error: str | None = None
    # Health and scheduling (migration 0004). ``last_polled`` is the last attempt.
    last_success: datetime | None = None
    failing_since: datetime | None = None  # first failure of the current streak
    failure_alerted: bool = False  # the operator was told about the current streak
    items_per_day: float | None = None  # observed publishing rate, from entry dates
    feed_ttl: float | None = None  # seconds, from RSS <ttl> or sy:updatePeriod/Frequency
    interval: float | None = None  # seconds from the last poll to the next one
    next_poll: datetime | None = None
    moved_to: str | None = None  # where a permanent redirect said the feed now lives
    disabled: str | None = None  # why polling stopped for good (410 Gone); None: active
    # The last fetch was still in flight after ``host_slow_after`` or timed out (migration
    # 0009): after a restart the feed waits for one of its host's slow places (0025).
    slow: bool = False
    # Article pages since the feed was first polled (migration 0011): pages tried, pages
    # that gave the article's text, and why the last page that did not failed — the value
    # of a monitor.pages PageOutcome or ExtractionIssue, or "late" (text: the enums live
    # above this layer).
    pages_tried: int = 0
    pages_read: int = 0
    page_last_issue: str | None = None

    @property
    def fetch_url(self) -> str:
        """Where the feed is fetched from: a 301/308's new address, else its own."""
        return self.moved_to or self.url


@dataclass(frozen=True, slots=True)
class WebSubSubscription:
    """A feed's WebSub subscription at its hub, as the daemon remembers it."""

    feed_url: str  # the configured feed
    hub: str
    topic: str  # the feed's self URL, which the hub knows it by
    callback_id: str  # the last path segment of our callback URL
    secret: str  # HMAC key for X-Hub-Signature on pushed content; never logged
    state: SubscriptionState
    requested_at: datetime
    lease_seconds: int | None = None
    expires_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """An HTTP response the fetcher accepted. ``body`` is empty on 304."""

    url: str
    final_url: str
    status: int
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    moved_to: str | None = None  # target of the leading 301/308 redirects, if any
    cache_lifetime: float | None = None  # seconds, from Cache-Control max-age or Expires
    hub: str | None = None  # WebSub hub from a Link header
    self_url: str | None = None  # the feed's canonical URL from a Link header
    slow: bool = False  # still in flight after the host's ``slow_after`` (decision 0025)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One feed entry as the parser read it: text fields may still hold HTML."""

    guid: str | None
    title: str
    link: str | None
    summary: str = ""
    content: str = ""
    published: datetime | None = None
    tags: tuple[str, ...] = ()
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed document: its format, title, entries and any non-fatal warning."""

    format: str
    title: str | None
    entries: tuple[RawEntry, ...]
    warning: str | None = None
    ttl: float | None = None  # seconds the publisher asks between polls (<ttl>, sy:*)
    hub: str | None = None  # WebSub hub the feed advertises
    self_url: str | None = None  # the feed's own URL as it states it (the WebSub topic)


@dataclass(frozen=True, slots=True)
class Article:
    """A normalised entry: plain text, UTC dates, canonical link, stable id."""

    article_id: str
    feed_url: str
    feed_name: str
    guid: str
    title: str
    link: str
    summary: str
    content: str
    published: datetime | None
    fetched_at: datetime
    tags: tuple[str, ...] = ()
    # Hash of the folded title and summary: the same entry again under a new GUID.
    fingerprint: str = ""
    # The article as its linked page tells it (monitor.pages), when the entry was a teaser.
    body: str = ""
    # The page's own canonical address when it differs from ``link`` and is trusted
    # (monitor.pages.trusted_canonical): a second link exact dedup knows the article by.
    page_canonical: str = ""
    language: str = ""  # the page's language subtag ("fa"), when its page was read
    author: str = ""  # the entry's author, else its page's byline
    # The headline's sentence embedding (monitor.stories.embedding): 512 little-endian
    # float16 values of the headline without decorations, L2-normalised; b"": none.
    embedding: bytes = b""


class Verdict(StrEnum):
    """How dedup classified an article."""

    NEW_STORY = "new_story"
    SEEN = "seen"  # the same entry again (GUID or canonical URL): nothing to do
    FOLDED = "folded"  # a near-identical copy from another outlet: joins a story


class PollStatus(StrEnum):
    """How one poll of a feed ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    UNCHANGED = "unchanged"
    ERROR = "error"
    GONE = "gone"
    DISABLED = "disabled"
    PUSHED = "pushed"


class DeliveryState(StrEnum):
    """Where one delivery of an alert stands."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    SILENCED = "silenced"


class SubscriptionState(StrEnum):
    """Where a feed's WebSub subscription stands at its hub."""

    REQUESTED = "requested"  # asked; the hub has not verified it yet
    ACTIVE = "active"  # verified; content is pushed until the lease ends
    DENIED = "denied"  # the hub refused it
    FAILED = "failed"  # the subscription request itself failed


class MatchKind(StrEnum):
    """How dedup knew an article belongs to a story it has seen (``DedupDecision.evidence``)."""

    NONE = ""  # a new story
    GUID = "guid"
    LINK = "link"
    FINGERPRINT = "fingerprint"
    SAME_HEADLINE = "same_headline"
    NEAR_IDENTICAL = "near_identical"
    UPDATE = "update"  # a casualty count changed
    RELATED = "related"  # the same event in other words
    SEMANTIC = "semantic"  # the same event by the headlines' meaning, details agreeing
    # by meaning a little short of the bar, with a name the window rarely gives on both sides
    SHARED_NAMES = "shared_names"
    # by meaning: several of one story's members close, none told apart (decision 0082)
    NEIGHBOURS = "neighbours"
    VETO = "veto"  # a judgement, never stored: a detail (a name, a number) tells two apart


class JoinReason(StrEnum):
    """Why an article is in its story, as ``wirewatch replay`` prints it (``joined_by``)."""

    NEW_STORY = "new_story"  # it opened the story
    SAME_GUID = "same_guid"
    SAME_LINK = "same_link"  # its link or page canonical
    SAME_FINGERPRINT = "same_fingerprint"  # folded title and summary
    SAME_HEADLINE = "same_headline"
    NEAR_IDENTICAL = "near_identical"
    UPDATE = "update"  # a near-identical headline whose casualty count changed
    RELATED = "related"  # the same event in other words
    SEMANTIC = "semantic"  # the headlines' meaning (sentence embeddings), details agreeing
    SHARED_NAMES = "shared_names"  # their meaning, nearly at the bar, and a rare name both give
    NEIGHBOURS = "neighbours"  # several of one story's members close in meaning, none apart


_JOINED_BY = {
    MatchKind.NONE: JoinReason.NEW_STORY,
    MatchKind.GUID: JoinReason.SAME_GUID,
    MatchKind.LINK: JoinReason.SAME_LINK,
    MatchKind.FINGERPRINT: JoinReason.SAME_FINGERPRINT,
    MatchKind.SAME_HEADLINE: JoinReason.SAME_HEADLINE,
    MatchKind.NEAR_IDENTICAL: JoinReason.NEAR_IDENTICAL,
    MatchKind.UPDATE: JoinReason.UPDATE,
    MatchKind.RELATED: JoinReason.RELATED,
    MatchKind.SEMANTIC: JoinReason.SEMANTIC,
    MatchKind.SHARED_NAMES: JoinReason.SHARED_NAMES,
    MatchKind.NEIGHBOURS: JoinReason.NEIGHBOURS,
}


@dataclass(frozen=True, slots=True)
class StoryFacts:
    """What one article adds to its story's bookkeeping."""

    outlet: str = ""  # who reported it: a wire agency ("wire:Reuters") or the feed URL
    lead_fingerprint: str = ""  # hash of the folded lead: verbatim copies share it
    places: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    page_lead: str = ""  # the lead of the article's page it was grouped with ("": none)


@dataclass(frozen=True, slots=True)
class DedupDecision:
    verdict: Verdict
    story_id: str
    duplicate_of: str | None = None  # first article of the story, when folded or seen
    evidence: MatchKind = MatchKind.NONE  # how dedup knew
    facts: StoryFacts = StoryFacts()
    # What decided a story index match (near_identical, update, related), 0-100: the
    # headlines' token-sort ratio or the IDF cosine x 100; None when equality decided.
    score: float | None = None
    # Stories this article showed to be newer pieces of its story's event, merged into it
    # with the article (docs/decisions/0070-where-recall-is-lost.md).
    absorbed: tuple[str, ...] = ()
    # When the story it joined opened, if the store said (``KnownArticle.first_seen``): a
    # story that left the window is indexed again as opened then.
    opened: datetime | None = None

    @property
    def joined_by(self) -> JoinReason:
        """Why the article is in its story (a new story's opener: NEW_STORY)."""
        if self.verdict is Verdict.NEW_STORY:
            return JoinReason.NEW_STORY
        return _JOINED_BY[self.evidence]


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert as stored in the outbox before any send."""

    alert_id: str
    story_id: str
    article_id: str
    rule: str
    severity: Severity
    terms: tuple[str, ...]
    notifiers: tuple[str, ...]
    created_at: datetime
    # "new" for a story's first alert on a rule, else the material change it reports
    # ("outlets>=3", "severity:high", "term:air strike", joined by "+"): unique per story.
    event: str = "new"
    outlets: int = 1  # outlets that had reported the story when the alert was raised
    reason: str = ""  # why an update was raised, in words

    @property
    def is_surge(self) -> bool:
        """A surge's alert (docs/decisions/0044): news of its own, never an update."""
        return self.alert_id.startswith(SURGE_ALERT)

    @property
    def surge_id(self) -> str | None:
        """The id of the surge this alert carries, None for a rule's alert."""
        return self.alert_id.removeprefix(SURGE_ALERT) if self.is_surge else None


@dataclass(frozen=True, slots=True)
class RuleHistory:
    """What a story's earlier alerts for one rule reported: what an update must exceed."""

    events: frozenset[str]
    outlets: int  # the most outlets any of them reported
    severity: Severity  # the highest severity any of them had
    terms: frozenset[str]  # every matched term, case-folded


@dataclass(frozen=True, slots=True)
class StoryAlertState:
    """A story as alert planning sees it, inside the transaction that stores an article."""

    story_id: str
    outlets: int  # distinct outlets, this article's included
    history: Mapping[str, RuleHistory]  # by rule name; rules that never alerted are absent


@dataclass(frozen=True, slots=True)
class Delivery:
    """One (alert, notifier) send and its state in the outbox."""

    delivery_id: int
    alert_id: str
    notifier: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    payload: dict[str, str] = field(default_factory=dict)
    batch_id: str | None = None  # set once claimed into a group or digest message
    hold: str | None = None  # why a pending delivery waits: quiet_hours, digest, group, ...
    first_attempt_at: datetime | None = None  # its retry budget runs from here


@dataclass(frozen=True, slots=True)
class Silence:
    """Suppresses deliveries of matching alerts until ``expires_at``."""

    reason: str
    created_at: datetime
    expires_at: datetime
    rule: str = ""
    story_id: str = ""
    notifier: str = ""
    silence_id: int | None = None

    def active(self, now: datetime) -> bool:
        return self.created_at <= now < self.expires_at

    def covers(self, rule: str, story_id: str, notifier: str) -> bool:
        """True when every field this silence names equals the delivery's (a surge
        rule's prefix covers the surges below it: ``ids.rule_covers``)."""
        wanted = ((self.story_id, story_id), (self.notifier, notifier))
        named = all(not mine or mine == theirs for mine, theirs in wanted)
        return named and rule_covers(self.rule, rule)
