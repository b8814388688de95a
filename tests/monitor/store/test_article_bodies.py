"""An article's page text (``Article.body``) on both backends: stored compressed with its
row, read back whole where stored articles are read and with its alerts' deliveries (for
their excerpts), counted by the store's statistics, and gone with its article when
retention prunes it."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting.outbox import to_alert
from monitor.config import RetentionSettings
from monitor.records import alert_id_for, article_id
from monitor.records.models import AlertRecord, Article, DedupDecision, StoryAlertState, Verdict
from monitor.store.interface import Store
from monitor.store.retention import run_retention
from rules import Severity
from tests.support.stores import STORE_BACKENDS, opened_store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FEED = "http://desk.test/feed"
# Several scripts, the Persian zero-width non-joiner among them, and enough repetition
# for compression to show.
BODY = "\n\n".join(
    [
        "The ministry said on Thursday that the new ferry line would open in the spring.",
        "شورای شهر روز سه‌شنبه درباره خط تازه کشتی گفت‌وگو کرد.",
        "Министерство сообщило, что новая паромная линия откроется весной.",
        "أعلنت الوزارة أن خط العبّارات الجديد سيفتتح في الربيع.",
    ]
    * 8
)


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


def _article(guid: str, at: datetime, body: str) -> Article:
    return Article(
        article_id=article_id(FEED, guid),
        feed_url=FEED,
        feed_name="Desk",
        guid=guid,
        title=f"Ferry line {guid}",
        link=f"http://desk.test/{guid}",
        summary="A one-sentence standfirst.",
        content="",
        published=at,
        fetched_at=at,
        body=body,
    )


async def _record(store: Store, article: Article, rule: str = "") -> None:
    decision = DedupDecision(Verdict.NEW_STORY, f"s-{article.guid}")
    alerts = [_alert(article, decision.story_id, rule)] if rule else []
    await store.record_article(article, decision, alerts)


def _alert(article: Article, story_id: str, rule: str) -> AlertRecord:
    return AlertRecord(
        alert_id=f"al-{article.guid}", story_id=story_id, article_id=article.article_id,
        rule=rule, severity=Severity.HIGH, terms=("ministry",), notifiers=("hook",),
        created_at=article.fetched_at,
    )  # fmt: skip


async def test_a_body_is_read_back_whole_and_none_stays_empty(store: Store) -> None:
    await _record(store, _article("read", NOW, BODY))
    await _record(store, _article("teaser", NOW + timedelta(seconds=1), ""))
    stored = await store.articles_since(NOW - timedelta(days=1))
    assert [(s.article.guid, s.article.body) for s in stored] == [("read", BODY), ("teaser", "")]


async def test_a_delivery_carries_its_articles_page_for_the_excerpt(store: Store) -> None:
    """The term is in the page alone: the excerpt quotes the page, the term marked; an
    article without a page is quoted from its summary."""
    await _record(store, _article("read", NOW, BODY), rule="ministry")
    await _record(store, _article("teaser", NOW + timedelta(seconds=1), ""), rule="ministry")
    due = await store.due_deliveries(NOW + timedelta(minutes=1), 10)
    assert [(c.alert.alert_id, c.body()) for c in due] == [("al-read", BODY), ("al-teaser", "")]
    read, teaser = (to_alert(context) for context in due)
    assert read.excerpt.startswith("The ministry said on Thursday")
    assert {read.excerpt[start:end] for start, end in read.excerpt_marks} == {"ministry"}
    assert (teaser.excerpt, teaser.excerpt_marks) == ("A one-sentence standfirst.", ())


async def test_bodies_are_stored_compressed_and_counted(store: Store) -> None:
    await _record(store, _article("read", NOW, BODY))
    await _record(store, _article("teaser", NOW + timedelta(seconds=1), ""))
    stats = await store.database_stats()
    compressed = len(zlib.compress(BODY.encode(), 6))
    assert (stats.article_bodies, stats.article_body_bytes) == (1, compressed)
    assert compressed < len(BODY.encode()) // 3


async def test_a_body_goes_with_its_pruned_article(store: Store) -> None:
    await _record(store, _article("old", NOW - timedelta(days=40), BODY))
    await _record(store, _article("young", NOW - timedelta(days=1), BODY))
    await run_retention(store, RetentionSettings(), NOW, window=timedelta(hours=48))
    stats = await store.database_stats()
    assert (stats.rows["articles"], stats.article_bodies) == (1, 1)
    (kept,) = await store.articles_since(NOW - timedelta(days=100))
    assert (kept.article.guid, kept.article.body) == ("young", BODY)


class _Planner:
    """A late page's planner: one follow-up on the story it is shown, and what it saw."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self.seen: list[StoryAlertState] = []

    def __call__(self, state: StoryAlertState) -> list[AlertRecord]:
        self.seen.append(state)
        follow_up = _alert(self.article, state.story_id, "ministry")
        event = "page:term:ferry"
        return [replace(follow_up, event=event,
                        alert_id=alert_id_for(state.story_id, "ministry", event))]  # fmt: skip


async def test_a_late_page_joins_its_article_and_follows_up_on_its_story(store: Store) -> None:
    """The page's text joins the article stored without one; the follow-up is planned
    against the article's story (its earlier alert in view) and created once."""
    teaser = _article("late", NOW, "")
    await _record(store, teaser, rule="ministry")
    planner = _Planner(teaser)
    (created,) = await store.record_page(teaser.article_id, BODY, planner) or []
    assert (created.story_id, created.event) == ("s-late", "page:term:ferry")
    (state,) = planner.seen
    assert (state.story_id, sorted(state.history)) == ("s-late", ["ministry"])
    assert await store.record_page(teaser.article_id, BODY, planner) == []  # once
    (stored,) = await store.articles_since(NOW - timedelta(days=1))
    assert stored.article.body == BODY
    due = await store.due_deliveries(NOW + timedelta(minutes=1), 10)
    assert sorted(context.alert.event for context in due) == ["new", "page:term:ferry"]


async def test_a_late_page_never_replaces_a_stored_text(store: Store) -> None:
    article = _article("read", NOW, BODY)
    await _record(store, article)
    assert await store.record_page(article.article_id, "another text", lambda _state: []) == []
    (stored,) = await store.articles_since(NOW - timedelta(days=1))
    assert stored.article.body == BODY


async def test_a_late_page_of_an_article_not_stored_does_nothing(store: Store) -> None:
    planner = _Planner(_article("never", NOW, ""))
    assert await store.record_page(planner.article.article_id, BODY, planner) is None
    assert planner.seen == []
    assert (await store.database_stats()).rows["alerts"] == 0
