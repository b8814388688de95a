"""The ingest writer's queue with late pages in it (real SQLite store): a page is written
after every write queued before it and before every one queued after, each in its own
transaction, and its failure is its own; and how many batches a commit let go."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.ingest.writer import IngestWriter, PageRecord
from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    StoryAlertState,
    Verdict,
    alert_id_for,
    article_id,
)
from monitor.store import ArticleRecord, Store
from rules import Severity
from tests.support.stores import opened_store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FEED = "http://desk.test/feed"
STORY = "s-1"


@pytest.fixture(name="store")
async def _store(tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store("sqlite", tmp_path) as store:
        yield store


def _article(guid: str) -> Article:
    return Article(
        article_id=article_id(FEED, guid), feed_url=FEED, feed_name="Desk", guid=guid,
        title=f"Ferry line {guid}", link=f"http://desk.test/{guid}", summary="A standfirst.",
        content="", published=NOW, fetched_at=NOW,
    )  # fmt: skip


class Planner:
    """Plans one alert of ``event`` and remembers the events the story had before."""

    def __init__(self, article: Article, event: str) -> None:
        self.article, self.event = article, event
        self.saw: list[str] = []

    def __call__(self, state: StoryAlertState) -> Sequence[AlertRecord]:
        self.saw = sorted(event for history in state.history.values() for event in history.events)
        return [
            AlertRecord(
                alert_id=alert_id_for(state.story_id, "ministry", self.event),
                story_id=state.story_id, article_id=self.article.article_id, rule="ministry",
                severity=Severity.HIGH, terms=("ministry",), notifiers=(), created_at=NOW,
                event=self.event,
            )
        ]  # fmt: skip


def _record(article: Article, verdict: Verdict, planner: Planner) -> list[ArticleRecord]:
    return [ArticleRecord(article, DedupDecision(verdict, STORY), planner)]


async def test_a_page_is_written_between_the_writes_queued_around_it(store: Store) -> None:
    writer = IngestWriter()
    first, later = _article("first"), _article("later")
    opened, page, folded = Planner(first, "new"), Planner(first, "page:match"), Planner(later, "x")
    before = writer.submit(store, _record(first, Verdict.NEW_STORY, opened), frozenset(), 0)
    late = writer.submit_page(store, PageRecord(first.article_id, "The page.", page))
    after = writer.submit(store, _record(later, Verdict.FOLDED, folded), frozenset(), 0)
    assert [len(alerts) for alerts in await before] == [1]
    assert [alert.event for alert in await late or []] == ["page:match"]
    assert [len(alerts) for alerts in await after] == [1]
    assert (opened.saw, page.saw, folded.saw) == ([], ["new"], ["new", "page:match"])


async def test_a_page_that_fails_fails_alone(store: Store) -> None:
    writer = IngestWriter()
    first = _article("first")

    def broken(_state: StoryAlertState) -> Sequence[AlertRecord]:
        raise RuntimeError("planner broke")

    await writer.submit(store, _record(first, Verdict.NEW_STORY, Planner(first, "new")),
                        frozenset(), 0)  # fmt: skip
    late = writer.submit_page(store, PageRecord(first.article_id, "The page.", broken))
    later = _article("later")
    after = writer.submit(store, _record(later, Verdict.FOLDED, Planner(later, "x")),
                          frozenset(), 0)  # fmt: skip
    with pytest.raises(RuntimeError, match="planner broke"):
        await late
    assert [len(alerts) for alerts in await after] == [1]
    assert (writer.generation, writer.stale) == (0, False)  # the story index is as it was


async def test_released_counts_the_batches_one_commit_let_go(store: Store) -> None:
    """The surge stage counts a poll let go alone at once: ``released`` says how many
    batches the last commit answered (those queued together, less any cancelled)."""
    writer = IngestWriter()
    articles = [_article(f"a{number}") for number in range(5)]

    def submitted(article: Article) -> asyncio.Future[list[list[AlertRecord]]]:
        verdict = Verdict.NEW_STORY if article is articles[0] else Verdict.FOLDED
        planned = Planner(article, article.guid)
        return writer.submit(store, _record(article, verdict, planned), frozenset(), 0)

    together = [submitted(article) for article in articles[:3]]  # queued in one turn
    for done in together:
        await done
    assert writer.released == 3
    await submitted(articles[3])
    assert writer.released == 1
    cancelled, kept = submitted(articles[4]), submitted(_article("a5"))
    cancelled.cancel()
    await kept
    assert writer.released == 1
