"""The store's read-only views behind the status page, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.records.models import AlertRecord, Article, DedupDecision, FeedState, Verdict
from monitor.store import StoryFilter
from monitor.store.interface import Store
from monitor.web.status_view import FEED_LIMIT, StatusSource, read_status
from monitor.web.story_filters import parse_filters
from rules import Severity
from tests.support.stores import STORE_BACKENDS, opened_store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as opened:
        yield opened


def _state(url: str, **changes: object) -> FeedState:
    values: dict[str, object] = {"last_polled": NOW, "next_poll": NOW + timedelta(minutes=5)}
    return FeedState(url=url, **{**values, **changes})  # type: ignore[arg-type]


FEEDS = [
    _state("https://a.example/ok-late", next_poll=NOW + timedelta(hours=1)),
    _state("https://b.example/gone", disabled="410 Gone", error_count=1),
    _state("https://c.example/failing-new", error_count=1, failing_since=NOW),
    _state("https://d.example/ok-soon", next_poll=NOW + timedelta(minutes=1)),
    _state("https://e.example/failing-old", error_count=9, failing_since=NOW - timedelta(days=1)),
    FeedState(url="https://f.example/new"),
]


async def _save_feeds(store: Store, states: list[FeedState]) -> None:
    await asyncio.gather(*(store.save_feed_state(state) for state in states))


async def test_feed_health_is_counted_and_failing_feeds_come_first(store: Store) -> None:
    await _save_feeds(store, FEEDS)
    assert await store.feed_health_counts() == {
        "ok": 2, "failing": 2, "gone": 1, "never_polled": 1,
    }  # fmt: skip
    listed = [state.url.split("/")[-1] for state in await store.status_feeds(10)]
    assert listed == ["failing-old", "failing-new", "gone", "ok-soon", "ok-late", "new"]
    assert len(await store.status_feeds(2)) == 2


def _article(number: int, story_id: str, fetched: datetime) -> Article:
    return Article(
        article_id=f"a{number}", feed_url="https://wire.example/feed", feed_name="Wire",
        guid=f"g{number}", title=f"Story {number}", link=f"https://wire.example/{number}",
        summary=f"Summary {number}", content="", published=None, fetched_at=fetched,
    )  # fmt: skip


def _alert(number: int, story_id: str, event: str = "new") -> AlertRecord:
    return AlertRecord(
        alert_id=f"al{number}{event}", story_id=story_id, article_id=f"a{number}",
        rule="watch", severity=Severity.HIGH, terms=("Iran", "Homs"), notifiers=("hook",),
        created_at=NOW, event=event,
    )  # fmt: skip


async def test_the_story_list_newest_first_with_outlets_and_alerts(store: Store) -> None:
    for number in range(3):
        story_id = f"s{number}"
        article = _article(number, story_id, NOW + timedelta(minutes=number))
        alerts = [_alert(number, story_id)] if number != 1 else []
        await store.record_article(article, DedupDecision(Verdict.NEW_STORY, story_id), alerts)
    stories = await store.find_stories(StoryFilter(), limit=2)
    assert [story.story_id for story in stories] == ["s2", "s1"]
    newest = stories[0]
    assert (newest.title, newest.link, newest.summary) == (
        "Story 2", "https://wire.example/2", "Summary 2",
    )  # fmt: skip
    assert (newest.outlets, newest.article_count, newest.feed_name) == (1, 1, "Wire")
    alerts = await store.story_alerts(["s0", "s1", "s2"])
    assert [(alert.story_id, alert.terms) for alert in alerts] == [
        ("s0", ("Iran", "Homs")), ("s2", ("Iran", "Homs")),
    ]  # fmt: skip
    assert await store.story_alerts([]) == []


async def test_the_languages_offered_are_those_of_stored_articles_sorted(store: Store) -> None:
    assert await store.article_languages(10) == []
    for number, language in enumerate(["ru", "", "ar", "en", "ar", "fa"]):
        article = replace(_article(number, f"s{number}", NOW), language=language)
        await store.record_article(article, DedupDecision(Verdict.NEW_STORY, f"s{number}"), [])
    assert await store.article_languages(10) == ["ar", "en", "fa", "ru"]  # unknown left out
    assert await store.article_languages(2) == ["ar", "en"]
    source = StatusSource(store, feeds=lambda: (), matcher=lambda: None, clock=lambda: NOW)
    view = await read_status(source, parse_filters({"language": "tr"}, NOW))
    assert view.filters.language_choices == ("ar", "en", "fa", "ru", "tr")  # the asked one too


async def test_a_large_install_renders_a_capped_page(store: Store) -> None:
    states = [_state(f"https://feed{n:05}.example/rss") for n in range(FEED_LIMIT * 20)]
    await _save_feeds(store, [*states, _state("https://broken.example/", error_count=3)])
    source = StatusSource(store, feeds=lambda: (), matcher=lambda: None, clock=lambda: NOW)
    view = await read_status(source)
    assert view.feed_counts == {"ok": FEED_LIMIT * 20, "failing": 1}
    assert len(view.feeds) == FEED_LIMIT
    assert view.feeds[0].url == "https://broken.example/"
    assert view.feeds[0].status == "not configured"


async def _alerted(store: Store, number: int, at: datetime, rule: str, event: str = "new") -> None:
    story_id = f"s{number}"
    alert = AlertRecord(
        alert_id=f"al{number}{rule}{event}", story_id=story_id, article_id=f"a{number}",
        rule=rule, severity=Severity.HIGH, terms=(), notifiers=(), created_at=at, event=event,
    )  # fmt: skip
    decision = DedupDecision(Verdict.NEW_STORY, story_id)
    await store.record_article(_article(number, story_id, at), decision, [alert])


async def test_rule_activity_counts_first_alerts_per_rule_and_utc_hour(store: Store) -> None:
    hour = NOW.replace(minute=0)
    await _alerted(store, 1, hour + timedelta(minutes=5), "watch")
    await _alerted(store, 2, hour + timedelta(minutes=59), "watch")
    await _alerted(store, 3, hour - timedelta(minutes=1), "watch")  # the hour before
    await _alerted(store, 4, hour, "other")
    await _alerted(store, 5, hour, "unlisted")  # a rule not asked for
    await _alerted(store, 6, hour - timedelta(days=8), "watch")  # before ``since``
    await _alerted(store, 7, hour, "watch", event="outlets")  # an update, not a new story
    found = await store.rule_activity(["watch", "other"], NOW - timedelta(days=7))
    assert [(row.rule, row.hour, row.stories) for row in found] == [
        ("other", hour, 1),
        ("watch", hour - timedelta(hours=1), 1),
        ("watch", hour, 2),
    ]
    assert await store.rule_activity([], NOW - timedelta(days=7)) == []
