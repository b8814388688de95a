"""What the status page shows, read from the store: plain rows the template only prints.

Everything here is data; escaping is the template's job (Jinja2 with autoescape on).
Matched terms are highlighted where the rules that alerted on a story find their terms
in its first article's stored title and summary (``monitor.web.story_marks``): the
store keeps which terms matched, not where, and one rules pass per shown story is
cheaper than a column of offsets on every alert. Each story links to its own page
(``monitor.web.story_view``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

import rules
from monitor.api import Story, list_stories
from monitor.config import FeedSettings
from monitor.feeds import FeedHealth, feed_health
from monitor.observability import redact_url
from monitor.records import AlertRecord, FeedState, Silence
from monitor.store import AlertListing, FeedLeases, Store
from monitor.surges import Surge
from monitor.web.activity_chart import RuleActivity, first_bucket, rule_activity
from monitor.web.segments import Segments, language_attribute, segments, web_link
from monitor.web.story_filters import StoryFilters
from monitor.web.story_marks import RuleHit, rule_hits, spans, story_hits, terms_by_rule

FEED_LIMIT = 100
STORY_LIMIT = 50
LANGUAGE_LIMIT = 200  # languages offered by the story filter (fastText knows 176)
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
class StoryRow:
    story: Story  # as the story read model lists it (monitor.api.stories)
    link: str | None  # only an http(s) URL; anything else is shown as text
    title: Segments
    summary: Segments
    rules: tuple[RuleHit, ...]
    href: str = ""  # the story's own page
    lang: str | None = None  # its language, when fit for a lang attribute


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
    filters: StoryFilters = field(default_factory=StoryFilters)
    older: str | None = None  # the link to the next page of stories, None on the last


async def read_status(source: StatusSource, filters: StoryFilters | None = None) -> StatusView:
    """One snapshot of the daemon's state, its stories as ``filters`` pick them; a handful
    of capped queries."""
    store, now, configured = source.store, source.clock(), tuple(source.feeds())
    filters = (filters or StoryFilters()).with_rules(_rule_names(source.matcher()))
    filters = filters.with_languages(await store.article_languages(LANGUAGE_LIMIT))
    page = await list_stories(store, filters.query.model_copy(update={"limit": STORY_LIMIT}))
    stories = page.items
    alerts = await store.story_alerts([story.story_id for story in stories])
    return StatusView(
        now=now,
        feeds_configured=len(configured),
        feeds_enabled=sum(feed.enabled for feed in configured),
        feed_counts=await store.feed_health_counts(),
        feeds=feed_rows(await store.status_feeds(FEED_LIMIT), configured, await _owners(store)),
        stories=story_rows(stories, alerts, source.matcher()),
        alerts=tuple(await store.list_alerts(_EPOCH, limit=ALERT_LIMIT)),
        delivery_counts=await store.delivery_counts(),
        silences=tuple(await store.silences(active_at=now)),
        limits=LIMITS,
        rules=await rule_rows(store, source.matcher(), now),
        surges=tuple(await store.latest_surges(now - SURGE_SPAN, SURGE_LIMIT)),
        filters=filters,
        older=filters.page_after(page.next_cursor) if page.next_cursor else None,
    )


def _rule_names(matcher: rules.Matcher | None) -> tuple[str, ...]:
    return tuple(matcher.rule_names) if matcher is not None else ()


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
    stories: Sequence[Story], alerts: Sequence[AlertRecord], matcher: rules.Matcher | None
) -> tuple[StoryRow, ...]:
    by_story: dict[str, list[AlertRecord]] = {}
    for alert in alerts:
        by_story.setdefault(alert.story_id, []).append(alert)
    return tuple(_story_row(story, by_story.get(story.story_id, []), matcher) for story in stories)


def _story_row(
    story: Story, alerts: Sequence[AlertRecord], matcher: rules.Matcher | None
) -> StoryRow:
    hits = matched_hits(story, alerts, matcher) if alerts else []
    return StoryRow(
        story=story,
        link=web_link(story.link),
        title=segments(story.title, spans(hits, "title"), None),
        summary=segments(story.summary, spans(hits, "summary"), SUMMARY_CHARS),
        rules=rule_hits(alerts),
        href=story_href(story.story_id),
        lang=language_attribute(story.language),
    )


def story_href(story_id: str) -> str:
    """The story's page on this site; the id quoted whole (no "/" or "?" left in it)."""
    return "/stories/" + quote(story_id, safe="")


def matched_hits(
    story: Story, alerts: Sequence[AlertRecord], matcher: rules.Matcher | None
) -> list[rules.Hit]:
    """Where the terms of the rules that alerted on the story are in its first article
    (the feed's scope aside: it decides whether a rule fires, not where its terms are)."""
    fields = {"title": story.title, "summary": story.summary}
    context = rules.MatchContext(
        feed_name=story.feed, link=story.link, outlets=story.outlet_count, language=story.language
    )
    return story_hits(fields, context, matcher, terms_by_rule(alerts))
