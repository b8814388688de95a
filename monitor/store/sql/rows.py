"""Rows read back from either database, turned into records: one mapper per record.

SQLite hands back ISO 8601 text for times, JSON text for lists and 0/1 for booleans;
PostgreSQL hands back datetimes, decoded jsonb and booleans. Each mapper accepts both,
so the two backends read through the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from monitor.records import (
    AlertRecord,
    Article,
    Delivery,
    DeliveryState,
    FeedState,
    MatchKind,
    RuleHistory,
    Silence,
    SubscriptionState,
    WebSubSubscription,
)
from monitor.store.bodies import unpacked_body, unpacked_embedding
from monitor.store.records import (
    DeliveryContext,
    KnownArticle,
    NotifierQueue,
    RuleCount,
    RuleHour,
    StoredArticle,
    StoryArticle,
    StoryRecord,
    StorySummary,
    WindowArticle,
)
from rules import Severity


class Row(Protocol):
    """A row by column name: ``sqlite3.Row`` or psycopg's dict row."""

    def __getitem__(self, key: str, /) -> Any: ...


class _Columns(NamedTuple):
    names: tuple[str, ...]
    times: frozenset[str]  # read as times (ISO 8601 text on SQLite)


def _columns(record: type[Any], *computed: str) -> _Columns:
    """A record's fields read straight from the row's columns of the same names (those
    typed ``datetime`` as times), but for the ``computed`` ones."""
    chosen = [field for field in fields(record) if field.name not in computed]
    times = frozenset(field.name for field in chosen if "datetime" in str(field.type))
    return _Columns(tuple(field.name for field in chosen), times)


_FEED = _columns(FeedState)
_WEBSUB = _columns(WebSubSubscription)
_DELIVERY = _columns(Delivery, "state", "payload")
_ALERT = _columns(AlertRecord, "terms", "notifiers", "outlets", "severity")
_SILENCE = _columns(Silence)
_CONTEXT = _columns(DeliveryContext, "delivery", "alert", "surge")
_SUMMARY = _columns(StorySummary)
_STORY_ARTICLE = _columns(StoryArticle)
_STORY = _columns(StoryRecord, "outlets", "places", "actors")
_ARTICLE = _columns(Article, "content", "tags", "fingerprint", "body", "embedding")
_KNOWN = _columns(KnownArticle, "matched_by")
_WINDOW = _columns(WindowArticle, "seen", "embedding", "stored", "absorbed", "opened")
FEED_COLUMNS, WEBSUB_COLUMNS = _FEED.names, _WEBSUB.names


def moment(value: str | datetime | None) -> datetime | None:
    """A stored time: ISO 8601 text (SQLite) or a datetime (PostgreSQL)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if value else None
    return value


def when(value: str | datetime) -> datetime:
    """A stored time that is never NULL."""
    found = moment(value)
    assert found is not None, "a NOT NULL time column read as empty"
    return found


def json_list(value: str | list[Any]) -> list[Any]:
    """A stored list: JSON text (SQLite) or decoded jsonb (PostgreSQL)."""
    return json.loads(value) if isinstance(value, str) else value


def _values(row: Row, columns: _Columns) -> dict[str, Any]:
    times = columns.times
    return {name: moment(row[name]) if name in times else row[name] for name in columns.names}


def feed_state(row: Row) -> FeedState:
    values = _values(row, _FEED)
    values["failure_alerted"] = bool(values["failure_alerted"])
    values["slow"] = bool(values["slow"])
    return FeedState(**values)


def subscription(row: Row) -> WebSubSubscription:
    values = _values(row, _WEBSUB)
    values["state"] = SubscriptionState(values["state"])
    return WebSubSubscription(**values)


def delivery(row: Row) -> Delivery:
    return Delivery(**_values(row, _DELIVERY), state=DeliveryState(row["state"]))


def alert(row: Row, notifiers: tuple[str, ...] = (), outlets: str = "outlets") -> AlertRecord:
    """An alert; ``outlets`` names the column holding its own outlet count in joined rows."""
    return AlertRecord(
        **_values(row, _ALERT),
        severity=Severity(row["severity"]),
        terms=tuple(json_list(row["terms"])),
        notifiers=notifiers,
        outlets=row[outlets],
    )


def delivery_context(row: Row) -> DeliveryContext:
    """A row of ``monitor.store.sql.statements.DELIVERY_CONTEXT``."""
    alerted = alert(row, (row["notifier"],), outlets="alert_outlets")
    return DeliveryContext(delivery(row), alerted, **_values(row, _CONTEXT))


def notifier_queue(row: Row) -> NotifierQueue:
    """A row of ``monitor.store.sql.statements.NOTIFIER_QUEUES``."""
    return NotifierQueue(due=bool(row["due"]), upcoming=moment(row["upcoming"]))


def silence(row: Row) -> Silence:
    return Silence(**_values(row, _SILENCE))


def histories(alerts: Iterable[Row]) -> dict[str, RuleHistory]:
    """Rule → what a story's earlier alerts on it reported together (``ALERT_STATE`` rows)."""
    by_rule: dict[str, list[Row]] = {}
    for row in alerts:
        by_rule.setdefault(row["rule"], []).append(row)
    return {rule: _history(found) for rule, found in by_rule.items()}


def _history(found: Sequence[Row]) -> RuleHistory:
    return RuleHistory(
        events=frozenset(row["event"] for row in found),
        outlets=max(row["outlets"] for row in found),
        severity=max((Severity(row["severity"]) for row in found), key=lambda s: s.rank),
        terms=frozenset(term.casefold() for row in found for term in json_list(row["terms"])),
    )


def story_summary(row: Row) -> StorySummary:
    return StorySummary(**_values(row, _SUMMARY))


def story_article(row: Row) -> StoryArticle:
    return StoryArticle(**_values(row, _STORY_ARTICLE))


def rule_count(row: Row) -> RuleCount:
    alerts, stories = int(row["alerts"]), int(row["stories"])
    return RuleCount(row["rule"], alerts, stories, moment(row["last_alert"]))


def rule_hour(row: Row) -> RuleHour:
    """``hour`` is "YYYY-MM-DDTHH" text, UTC, on both backends."""
    start = datetime.strptime(row["hour"], "%Y-%m-%dT%H").replace(tzinfo=UTC)
    return RuleHour(row["rule"], start, int(row["stories"]))


def story_record(row: Row, outlets: Iterable[str], names: Sequence[Row]) -> StoryRecord:
    return StoryRecord(
        **_values(row, _STORY),
        outlets=frozenset(outlets),
        places=tuple(item["name"] for item in names if item["kind"] == "place"),
        actors=tuple(item["name"] for item in names if item["kind"] == "actor"),
    )


def stored_article(row: Row) -> StoredArticle:
    """An article read back for a backtest: no content or entry tags are kept, and its
    embedding is not read (rules do not use it)."""
    body = unpacked_body(row["body"], row["article_id"])
    article = Article(**_values(row, _ARTICLE), content="", body=body)
    return StoredArticle(article, row["story_id"], row["outlet"] or article.feed_url)


def window_article(row: Row) -> WindowArticle:
    """An article of the dedup window: seen when published, or fetched if that is earlier."""
    fetched, published = when(row["fetched_at"]), moment(row["published"])
    seen = min(published, fetched) if published else fetched
    embedding = unpacked_embedding(row["embedding"], row["article_id"])
    absorbed = tuple(sorted((row["absorbed"] or "").split()))
    return WindowArticle(**_values(row, _WINDOW), seen=seen, embedding=embedding, stored=fetched,
                         absorbed=absorbed, opened=when(row["first_seen"]))  # fmt: skip


def known_article(row: Row, matched_by: MatchKind) -> KnownArticle:
    """A row of ``FIND_COLUMNS``, found by ``matched_by``."""
    return KnownArticle(**_values(row, _KNOWN), matched_by=matched_by)


def pruned_article(feed_url: str, article_id: str, story_id: str) -> KnownArticle:
    """A pruned article's entry, back in its feed: seen before, by its GUID (0015)."""
    return KnownArticle(article_id, story_id, feed_url, article_id, matched_by=MatchKind.GUID)
