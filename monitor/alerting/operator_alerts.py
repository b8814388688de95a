"""Operator alerts about feeds (gone, failing too long, recovered), through the outbox.

An event becomes an ordinary alert in the durable outbox, so it is retried, silenced,
routed and rendered like any other: one article and one story of its own (never shared
with news), rule ``wirewatch:feed-health``, and an event key unique per failure streak,
so it goes out once even across restarts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import structlog

from monitor.feeds import FeedEvent, FeedEventKind
from monitor.observability import redact_url
from monitor.records import AlertRecord, Article, DedupDecision, Verdict
from monitor.store import Store
from rules import Severity

log = structlog.get_logger("monitor.alerting.operator_alerts")

OPERATOR_RULE = "wirewatch:feed-health"
OPERATOR_FEED = "wirewatch:operator"  # the feed_url of operator articles, never polled
_SEVERITY = {
    FeedEventKind.GONE: Severity.HIGH,
    FeedEventKind.FAILING: Severity.HIGH,
    FeedEventKind.RECOVERED: Severity.LOW,
}
_HEADLINE = {
    FeedEventKind.GONE: "Feed gone (410), no longer polled: {name}",
    FeedEventKind.FAILING: "Feed failing since {since}: {name}",
    FeedEventKind.RECOVERED: "Feed recovered: {name}",
}


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:20]


def event_key(event: FeedEvent) -> str:
    """Unique per feed, kind and failure streak."""
    since = event.since.isoformat() if event.since else event.at.isoformat()
    return f"{event.kind}:{since}"


def operator_alert(
    event: FeedEvent, notifiers: tuple[str, ...]
) -> tuple[Article, DedupDecision, AlertRecord]:
    """The article, story decision and alert that carry ``event`` through the outbox."""
    key = event_key(event)
    article_id = "op_" + _key(event.feed_url, key)
    story_id = "os_" + _key(event.feed_url, key)
    since = event.since.isoformat(timespec="minutes") if event.since else "?"
    url = redact_url(event.feed_url)
    article = Article(
        article_id=article_id,
        feed_url=OPERATOR_FEED,
        feed_name="wirewatch",
        guid=article_id,
        title=_HEADLINE[event.kind].format(name=event.feed_name, since=since),
        link=url,
        summary=f"{url}: {event.detail}"[:1000],
        content="",
        published=event.at,
        fetched_at=event.at,
    )
    alert = AlertRecord(
        alert_id="al_" + _key(story_id, OPERATOR_RULE, key),
        story_id=story_id,
        article_id=article_id,
        rule=OPERATOR_RULE,
        severity=_SEVERITY[event.kind],
        terms=(),
        notifiers=notifiers,
        created_at=event.at,
        event="new",
        reason=event.kind,
    )
    return article, DedupDecision(Verdict.NEW_STORY, story_id), alert


async def raise_operator_alert(
    store: Store, event: FeedEvent, notifiers: tuple[str, ...], now: datetime | None = None
) -> bool:
    """Queue the alert unless it was queued before; True when it is new."""
    article, decision, alert = operator_alert(event, notifiers)
    if await store.story(decision.story_id) is not None:
        return False
    created = await store.record_article(article, decision, [alert])
    log.warning(
        "operator_alert",
        feed_url=event.feed_url,
        kind=event.kind,
        notifiers=list(notifiers),
        detail=event.detail,
        at=(now or event.at).isoformat(),
    )
    return bool(created)
