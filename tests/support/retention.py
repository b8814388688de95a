"""Articles, alerts and retention runs for the retention tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.config.retention import RetentionSettings
from monitor.config.settings import DedupSettings
from monitor.records import article_id
from monitor.records.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.store.interface import Store
from monitor.store.retention import run_retention
from rules import Severity

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

WINDOW = timedelta(hours=DedupSettings().window_hours)

FEED = "http://one.test/feed"

DEFAULTS = RetentionSettings()  # articles 30 days, stories and alerts 90, tombstones 365


def article_at(guid: str, at: datetime, *, summary: str = "Summary") -> Article:
    return Article(
        article_id=article_id(FEED, guid),
        feed_url=FEED,
        feed_name="One",
        guid=guid,
        title=f"Headline {guid}",
        link=f"http://one.test/{guid}",
        summary=summary,
        content="",
        published=at,
        fetched_at=at,
    )


def alert_on(article: Article, story: str, rule: str = "watch") -> AlertRecord:
    return AlertRecord(
        alert_id=f"al-{story}-{rule}",
        story_id=story,
        article_id=article.article_id,
        rule=rule,
        severity=Severity.HIGH,
        terms=("term",),
        notifiers=("hook",),
        created_at=article.fetched_at,
    )


async def report(
    store: Store, guid: str, age_days: float, *, story: str, alert: bool = False
) -> Article:
    """One article of ``story`` (a new story unless the story exists), maybe with an alert."""
    article = article_at(guid, NOW - timedelta(days=age_days))
    verdict = Verdict.FOLDED if await store.story(story) else Verdict.NEW_STORY
    alerts = [alert_on(article, story)] if alert else []
    await store.record_article(article, DedupDecision(verdict, story), alerts)
    return article


async def retain(store: Store, settings: RetentionSettings = DEFAULTS) -> dict[str, int]:
    report = await run_retention(store, settings, NOW, window=WINDOW)
    return report.pruned
