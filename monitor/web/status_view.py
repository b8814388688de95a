"""What the status page shows, read from the store: plain rows the template only prints.

Everything here is data; escaping is the template's job (Jinja2 with autoescape on).
Matched terms are highlighted by asking the current rules where the terms an alert
recorded occur in the story's stored title and summary (content is not stored): the
store keeps which terms matched, not where, and one rules pass per shown story is
cheaper than a column of offsets on every alert.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import rules
from monitor.config import FeedSettings
from monitor.feeds import FeedHealth, feed_health
from monitor.observability import redact_url
from monitor.records import AlertRecord, FeedState, Silence
from monitor.store import AlertListing, FeedLeases, Store, StorySummary
from monitor.surges import Surge
from monitor.web.activity_chart import RuleActivity, first_bucket, rule_activity

FEED_LIMIT = 100
STORY_LIMIT = 50
ALERT_LIMIT = 100
RULE_LIMIT = 100  # rules charted, in the rule set's order
SURGE_LIMIT = 50  # the newest surges of the last day
LIMITS = {
    "feeds": FEED_LIMIT, "stories": STORY_LIMIT, "alerts": ALERT_LIMIT, "rules": RULE_LIMIT,
    "surges": SURGE_LIMIT,
}  # fmt: skip
SURGE_SPAN = timedelta(days=1)
SUMMARY_CHARS = 400
ERROR_CHARS = 300
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
_WEB_LINK = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)

# (text, marked): a field cut into runs, marked where a matched term was found.
Segments = tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class StatusSource:
    """Where the page reads from; callables so a config reload shows at the next request."""

    store: Store
    feeds: Callable[[], Sequence[FeedSettings]]
    matcher: Callable[[], rules.Matcher | None]
    clock: Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class FeedRow:
    name: str
    url: str
    status: FeedHealth
    state: FeedState
    polled_by: str | None = None  # the daemon leasing it now (several share a store)


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str
    severity: str
    terms: tuple[str, ...]
    events: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoryRow:
    story: StorySummary
    link: str | None  # only an http(s) URL; anything else is shown as text
    title: Segments
    summary: Segments
    rules: tuple[RuleHit, ...]


@dataclass(frozen=True, slots=True)
class StatusView:
    now: datetime
    feeds_configured: int
    feeds_enabled: int
    feed_counts: Mapping[str, int]
    feeds: tuple[FeedRow, ...]
    stories: tuple[StoryRow, ...]
    alerts: tuple[AlertListing, ...]
    delivery_counts: Mapping[str, int]
    silences: tuple[Silence, ...]
    limits: Mapping[str, int]
    rules: tuple[RuleActivity, ...] = ()
    surges: tuple[Surge, ...] = ()  # newest first


async def read_status(source: StatusSource) -> StatusView:
    """One snapshot of the daemon's state; a handful of capped queries."""
    store, now, configured = source.store, source.clock(), tuple(source.feeds())
    stories = await store.latest_stories(STORY_LIMIT)
    alerts = await store.story_alerts([story.story_id for story in stories])
    tags = {feed.url: feed.tags for feed in configured}
    return StatusView(
        now=now,
        feeds_configured=len(configured),
        feeds_enabled=sum(feed.enabled for feed in configured),
        feed_counts=await store.feed_health_counts(),
        feeds=feed_rows(await store.status_feeds(FEED_LIMIT), configured, await _owners(store)),
        stories=story_rows(stories, alerts, source.matcher(), tags),
        alerts=tuple(await store.list_alerts(_EPOCH, limit=ALERT_LIMIT)),
        delivery_counts=await store.delivery_counts(),
        silences=tuple(await store.silences(active_at=now)),
        limits=LIMITS,
        rules=await rule_rows(store, source.matcher(), now),
        surges=tuple(await store.latest_surges(now - SURGE_SPAN, SURGE_LIMIT)),
    )


async def rule_rows(
    store: Store, matcher: rules.Matcher | None, now: datetime
) -> tuple[RuleActivity, ...]:
    """Each current rule's last seven days, in one query."""
    names = matcher.rule_names[:RULE_LIMIT] if matcher is not None else ()
    hours: dict[str, list[tuple[datetime, int]]] = {name: [] for name in names}
    for found in await store.rule_activity(names, first_bucket(now)):
        hours[found.rule].append((found.hour, found.stories))
    return tuple(rule_activity(name, hours[name], now) for name in names)


def feed_rows(
    states: Iterable[FeedState],
    configured: Sequence[FeedSettings],
    owners: Mapping[str, str] | None = None,
) -> tuple[FeedRow, ...]:
    by_url, owners = {feed.url: feed for feed in configured}, owners or {}
    return tuple(_feed_row(state, by_url.get(state.url), owners.get(state.url)) for state in states)


async def _owners(store: Store) -> Mapping[str, str]:
    """Feed URL → the daemon polling it, on a store several daemons share."""
    return await store.lease_owners() if isinstance(store, FeedLeases) else {}


def _feed_row(state: FeedState, feed: FeedSettings | None, polled_by: str | None) -> FeedRow:
    url = redact_url(state.url)
    if feed is None:
        return FeedRow(url, url, FeedHealth.NOT_CONFIGURED, state, polled_by)
    return FeedRow(feed.display_name, url, feed_health(feed, state), state, polled_by)


def story_rows(
    stories: Sequence[StorySummary],
    alerts: Sequence[AlertRecord],
    matcher: rules.Matcher | None,
    tags: Mapping[str, tuple[str, ...]],
) -> tuple[StoryRow, ...]:
    by_story: dict[str, list[AlertRecord]] = {}
    for alert in alerts:
        by_story.setdefault(alert.story_id, []).append(alert)
    return tuple(
        _story_row(story, by_story.get(story.story_id, []), matcher, tags.get(story.feed_url, ()))
        for story in stories
    )


def _story_row(
    story: StorySummary,
    alerts: Sequence[AlertRecord],
    matcher: rules.Matcher | None,
    tags: tuple[str, ...],
) -> StoryRow:
    hits = matched_hits(story, alerts, matcher, tags) if alerts else []
    return StoryRow(
        story=story,
        link=web_link(story.link),
        title=segments(story.title, _spans(hits, "title"), None),
        summary=segments(story.summary, _spans(hits, "summary"), SUMMARY_CHARS),
        rules=rule_hits(alerts),
    )


def rule_hits(alerts: Sequence[AlertRecord]) -> tuple[RuleHit, ...]:
    """One entry per rule: its highest severity, every term and event its alerts recorded."""
    by_rule: dict[str, list[AlertRecord]] = {}
    for alert in alerts:
        by_rule.setdefault(alert.rule, []).append(alert)
    return tuple(
        RuleHit(
            rule=rule,
            severity=max((a.severity for a in items), key=_severity_rank),
            terms=tuple(dict.fromkeys(term for a in items for term in a.terms)),
            events=tuple(a.event for a in items),
        )
        for rule, items in by_rule.items()
    )


def _severity_rank(severity: str) -> int:
    order = ("low", "medium", "high", "critical")
    return order.index(severity) if severity in order else -1


def matched_hits(
    story: StorySummary,
    alerts: Sequence[AlertRecord],
    matcher: rules.Matcher | None,
    tags: tuple[str, ...],
) -> list[rules.Hit]:
    """Where the current rules find the terms the story's alerts recorded."""
    wanted: dict[str, set[str]] = {}
    for alert in alerts:
        wanted.setdefault(alert.rule, set()).update(term.casefold() for term in alert.terms)
    if matcher is None or not any(wanted.values()):
        return []
    fields = {"title": story.title, "summary": story.summary}
    context = rules.MatchContext(
        story.feed_url, story.feed_name, tags, story.link, story.outlets, story.language
    )
    explanations = matcher.explain(fields, context, rules=set(wanted))
    return [
        hit
        for explanation in explanations
        for hit in _check_hits(explanation.checks)
        if hit.term.casefold() in wanted[explanation.rule]
    ]


def _check_hits(checks: Iterable[rules.Check]) -> list[rules.Hit]:
    found: list[rules.Hit] = []
    for check in checks:
        found += check.hits
        found += _check_hits(check.children)
    return found


def _spans(hits: Iterable[rules.Hit], field: str) -> list[tuple[int, int]]:
    return sorted({(hit.start, hit.end) for hit in hits if hit.field == field})


def segments(text: str, spans: Sequence[tuple[int, int]], limit: int | None) -> Segments:
    """``text`` (cut at ``limit`` characters) in runs, marked inside the merged spans."""
    end_of_text = len(text) if limit is None else min(len(text), limit)
    runs: list[tuple[str, bool]] = []
    last = 0
    for span_start, span_end in _merged(spans):
        start, end = max(span_start, last), min(span_end, end_of_text)
        if start >= end:
            continue
        runs += [(text[last:start], False), (text[start:end], True)]
        last = end
    runs.append((text[last:end_of_text], False))
    if end_of_text < len(text):
        runs.append(("…", False))
    return tuple(run for run in runs if run[0])


def _merged(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def web_link(url: str) -> str | None:
    """``url`` if it is a plain http(s) URL with a host, else None (``javascript:``,
    ``data:``, relative or control characters are never made into links)."""
    if not _WEB_LINK.fullmatch(url):
        return None
    try:
        return url if urlsplit(url).hostname else None
    except ValueError:
        return None
