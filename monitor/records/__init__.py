"""Records: the plain values that flow from stage to stage (feed state, raw entries,
articles, dedup decisions, alerts, deliveries, silences), the state enums, and the
content-derived ids that make every id the same in every process.

Bottom layer: frozen dataclasses and pure functions, no I/O."""

from monitor.records.ids import alert_id_for, article_id, digest
from monitor.records.models import (
    AlertRecord,
    Article,
    DedupDecision,
    Delivery,
    DeliveryState,
    FeedState,
    FetchResult,
    JoinReason,
    MatchKind,
    ParsedFeed,
    PollStatus,
    RawEntry,
    RuleHistory,
    Silence,
    StoryAlertState,
    StoryFacts,
    SubscriptionState,
    Verdict,
    WebSubSubscription,
)

__all__ = [
    "AlertRecord",
    "Article",
    "DedupDecision",
    "Delivery",
    "DeliveryState",
    "FeedState",
    "FetchResult",
    "JoinReason",
    "MatchKind",
    "ParsedFeed",
    "PollStatus",
    "RawEntry",
    "RuleHistory",
    "Silence",
    "StoryAlertState",
    "StoryFacts",
    "SubscriptionState",
    "Verdict",
    "WebSubSubscription",
    "alert_id_for",
    "article_id",
    "digest",
]
