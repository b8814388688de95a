"""The story read model: plain functions over the store, shared by the JSON API and the
story pages (their HTML renders these same objects). Works on SQLite and PostgreSQL.

Stable interface (other packages rely on it; extend it compatibly):

``StoryQuery``
    the filters: ``rule``, ``language``, ``outlet`` (a feed's name or URL), ``since`` /
    ``until`` (the story was seen in that span), ``q`` (text in any article's title or
    summary, case-insensitive in every script), and ``cursor`` / ``limit`` paging.
``await list_stories(store, query) -> StoryPage``
    the stories picked, last seen first: ``items`` (:class:`~monitor.api.models.Story`)
    and ``next_cursor`` (None on the last page).
``await story_detail(store, story_id) -> StoryDetail | None``
    one story with every article (fetch order), each outlet and language, each rule that
    matched with its terms (:class:`~monitor.api.models.RuleMatch`), and its alert
    history with every delivery; None when no such story is kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pydantic import Field

from monitor.api.models import (
    Alert,
    Article,
    Outlet,
    PagedQuery,
    RuleMatch,
    Story,
    StoryDetail,
    StoryPage,
)
from monitor.api.paging import UtcTime, decode_cursor, next_cursor
from monitor.records import AlertRecord
from monitor.store import AlertFilter, Store, StoryFilter, StorySummary
from rules import Severity

ALERTS_PER_STORY = 1000  # a story's alert history shown at most (updates included)


class StoryQuery(PagedQuery):
    rule: str = Field("", max_length=200, description="stories this rule alerted on")
    language: str = Field("", max_length=20, description="with an article in this language")
    outlet: str = Field("", max_length=2000, description="with an article from this feed "
                                                          "(its name or URL)")  # fmt: skip
    since: UtcTime | None = Field(None, description="last seen at or after")
    until: UtcTime | None = Field(None, description="first seen before")
    q: str = Field("", max_length=200, description="text in an article's title or summary")

    def store_filter(self) -> StoryFilter:
        return StoryFilter(rule=self.rule, language=self.language, outlet=self.outlet,
                           since=self.since, until=self.until, text=self.q.strip())  # fmt: skip


async def list_stories(store: Store, query: StoryQuery) -> StoryPage:
    after = decode_cursor(query.cursor) if query.cursor else None
    found = await store.find_stories(query.store_filter(), after=after, limit=query.limit + 1)
    shown = found[: query.limit]
    rules = await _rules_by_story(store, [story.story_id for story in shown])
    items = [Story.from_summary(story, rules.get(story.story_id, [])) for story in shown]
    cursor = next_cursor(found, query.limit, lambda story: (story.last_seen, story.story_id))
    return StoryPage(items=items, next_cursor=cursor)


async def story_detail(store: Store, story_id: str) -> StoryDetail | None:
    found = await store.find_stories(StoryFilter(story_id=story_id), limit=1)
    if not found:
        return None
    story_id = found[0].story_id  # a merged story's id answers with its survivor (0070)
    chosen = AlertFilter(story_id=story_id)
    listings = await store.find_alerts(chosen, limit=ALERTS_PER_STORY)
    alerts = [Alert.from_listing(listing) for listing in reversed(listings)]  # oldest first
    articles = [Article.from_record(item) for item in await store.story_articles(story_id)]
    return _detail(found[0], articles, alerts)


def _detail(story: StorySummary, articles: list[Article], alerts: list[Alert]) -> StoryDetail:
    rules = sorted({alert.rule for alert in alerts})
    summary = Story.from_summary(story, rules)
    return StoryDetail(
        **summary.model_dump(),
        outlets=_outlets(articles),
        languages=sorted({article.language for article in articles if article.language}),
        matches=_matches(alerts),
        articles=articles,
        alerts=alerts,
    )


def _outlets(articles: Sequence[Article]) -> list[Outlet]:
    feeds: dict[str, dict[str, None]] = defaultdict(dict)
    counts: dict[str, int] = defaultdict(int)
    for article in articles:
        feeds[article.outlet][article.feed] = None
        counts[article.outlet] += 1
    return [Outlet(outlet=outlet, feeds=list(feeds[outlet]), articles=counts[outlet])
            for outlet in feeds]  # fmt: skip


def _matches(alerts: Sequence[Alert]) -> list[RuleMatch]:
    """Per rule, in the order rules first alerted: every term, the highest severity."""
    by_rule: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_rule[alert.rule].append(alert)
    return [
        RuleMatch(
            rule=rule,
            severity=max((Severity(a.severity) for a in hits), key=lambda s: s.rank).value,
            terms=list(dict.fromkeys(term for a in hits for term in a.terms)),
            first_alert_at=hits[0].created_at,
            alerts=len(hits),
        )
        for rule, hits in by_rule.items()
    ]


async def _rules_by_story(store: Store, story_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, dict[str, None]] = defaultdict(dict)
    alerts: list[AlertRecord] = await store.story_alerts(story_ids)
    for alert in alerts:
        found[alert.story_id][alert.rule] = None
    return {story_id: sorted(rules) for story_id, rules in found.items()}
