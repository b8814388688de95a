"""Alert planning inside one batch write (``record_articles``), on both stores: each
planner sees its story as it stands right after its own article, with the alerts the
batch's earlier articles raised on it; a batch whose articles grow distinct stories asks
for every story's state before reading any (one round trip on PostgreSQL, decision 0075),
and plans the same alerts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    MatchKind,
    StoryAlertState,
    StoryFacts,
    Verdict,
)
from monitor.store.interface import ArticleRecord, BatchIngestStore, Store
from rules import Severity
from tests.support.stores import STORE_BACKENDS, opened_store

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


def _article(name: str, feed: str) -> Article:
    return Article(
        article_id=f"a-{name}", feed_url=feed, feed_name=feed, guid=f"g-{name}",
        title=f"Port strike {name}", link=f"{feed}/{name}", summary="", content="",
        published=None, fetched_at=NOW,
    )  # fmt: skip


class Planner:
    """Raises a "new" alert on a story the rule never alerted on; remembers what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, tuple[str, ...]]] = []

    def __call__(self, article: str) -> object:
        def plan(state: StoryAlertState) -> Sequence[AlertRecord]:
            self.seen.append((state.story_id, state.outlets, tuple(sorted(state.history))))
            if "watch" in state.history:
                return []
            return [AlertRecord(
                alert_id=f"al-{state.story_id}", story_id=state.story_id, article_id=article,
                rule="watch", severity=Severity.HIGH, terms=("port",), notifiers=("hook",),
                created_at=NOW,
            )]  # fmt: skip

        return plan


def _record(name: str, feed: str, story: str, opens: bool, planner: Planner) -> ArticleRecord:
    decision = (
        DedupDecision(Verdict.NEW_STORY, story, facts=StoryFacts(outlet=feed))
        if opens
        else DedupDecision(
            Verdict.FOLDED, story, f"a-{story}", MatchKind.RELATED, StoryFacts(outlet=feed)
        )
    )
    plan = planner(f"a-{name}")
    return ArticleRecord(_article(name, feed), decision, plan)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("batch", "seen", "alerted"),
    [
        pytest.param(
            [("one", "http://one", "s1", True), ("two", "http://two", "s1", False)],
            [("s1", 1, ()), ("s1", 2, ("watch",))],
            [["s1"], []],
            id="one-story-twice-the-second-sees-the-first-alert",
        ),
        pytest.param(
            [("one", "http://one", "s1", True), ("two", "http://two", "s2", True),
             ("three", "http://three", "s0", False)],
            [("s1", 1, ()), ("s2", 1, ()), ("s0", 2, ("watch",))],
            [["s1"], ["s2"], []],
            id="distinct-stories-each-sees-its-own-after-its-article",
        ),
    ],
)  # fmt: skip
async def test_each_planner_sees_its_story_right_after_its_article(
    store: Store,
    batch: list[tuple[str, str, str, bool]],
    seen: list[tuple[str, int, tuple[str, ...]]],
    alerted: list[list[str]],
) -> None:
    assert isinstance(store, BatchIngestStore)
    await store.record_articles([_record("s0", "http://zero", "s0", True, Planner())])
    planner = Planner()
    created = await store.record_articles(
        [_record(name, feed, story, opens, planner) for name, feed, story, opens in batch]
    )
    assert planner.seen == seen
    assert [[alert.story_id for alert in alerts] for alerts in created] == alerted
