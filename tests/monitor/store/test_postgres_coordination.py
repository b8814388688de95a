"""Several daemons on one PostgreSQL schema: each outbox delivery is sent by one daemon, a
delivery claimed by a daemon that died is sent by another once its claim lapses, and a
daemon's late write over another's claim is refused. A daemon learns the articles another
stored, in their language, and groups its own with them.

Each daemon is a store with its own pool and name. Claim expiry is moved by writing
``claim_expires`` in the past (the database's clock decides), never by sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import psycopg
import pytest

import notifiers
from monitor.alerting.dispatch import Dispatcher
from monitor.config.settings import DedupSettings
from monitor.observability import Redactor
from monitor.records import DeliveryState
from monitor.records.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.store import PostgresStore
from monitor.stories.dedup import Deduplicator
from monitor.stories.shared import SharedStories
from rules import Severity
from tests.support.events import LANDING_A, LANDING_B
from tests.support.latin_reports import BACKGROUND, LATIN_EVENTS, LatinEvent, by_language
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
STORIES = 12


class Receiver:
    """Every message any daemon's channel sent, by alert id (the Idempotency-Key)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    def channel(self, daemon: str) -> RecordingChannel:
        return RecordingChannel(daemon, self)


class RecordingChannel:
    def __init__(self, daemon: str, receiver: Receiver) -> None:
        self.name, self.daemon, self.receiver = "hook", daemon, receiver

    async def send(self, alert: notifiers.Alert) -> None:
        await asyncio.sleep(0)  # the other daemon's sweep runs meanwhile
        self.receiver.received.append((self.daemon, alert.alert_id))

    async def aclose(self) -> None:
        return None


def _story(n: int) -> ArticleRecord:
    article = Article(
        article_id=f"a{n}", feed_url="http://one/feed", feed_name="One", guid=f"g{n}",
        title=f"Story number {n}", link=f"http://one/{n}", summary="", content="",
        published=None, fetched_at=NOW,
    )  # fmt: skip
    alert = AlertRecord(
        alert_id=f"al{n}", story_id=f"s{n}", article_id=f"a{n}", rule="any", severity=Severity.HIGH,
        terms=("Story",), notifiers=("hook",), created_at=NOW,
    )  # fmt: skip
    return ArticleRecord(article, DedupDecision(Verdict.NEW_STORY, f"s{n}"), [alert])


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with postgres_schema() as location:
        yield location


@pytest.fixture
async def daemons(url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    first, second = PostgresStore(url, max_size=4), PostgresStore(url, max_size=4)
    first.claim_as("a", 120)
    second.claim_as("b", 120)
    await first.open()
    await second.open()
    await first.record_articles([_story(n) for n in range(STORIES)])
    yield first, second
    await first.close()
    await second.close()


def _dispatcher(store: PostgresStore, channel: RecordingChannel) -> Dispatcher:
    return Dispatcher(store, {"hook": channel}, max_attempts=3, redact=Redactor([]),
                      clock=lambda: NOW)  # fmt: skip


async def _sql(url: str, statement: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(statement)


async def test_two_dispatchers_send_each_delivery_once(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    receiver = Receiver()
    first, second = (
        _dispatcher(store, receiver.channel(name))
        for store, name in zip(daemons, "ab", strict=True)
    )
    for _ in range(3):  # sweeping at once, again and again
        await asyncio.gather(first.sweep(), second.sweep())
    sent = sorted(alert_id for _, alert_id in receiver.received)
    assert sent == sorted(f"al{n}" for n in range(STORIES))  # each once
    assert await daemons[0].delivery_counts() == {"sent": STORIES}


async def test_a_delivery_claimed_by_a_dead_daemon_is_sent_by_another_after_its_claim(
    url: str, daemons: tuple[PostgresStore, PostgresStore]
) -> None:
    dead, alive = daemons
    claimed = await dead.due_deliveries(NOW, 100)  # claimed, then the daemon died
    assert len(claimed) == STORIES
    receiver = Receiver()
    survivor = _dispatcher(alive, receiver.channel("b"))
    assert (await survivor.sweep()).sent == 0  # the claims hold
    await _sql(url, "UPDATE deliveries SET claim_expires = now() - interval '1 second'")
    assert (await survivor.sweep()).sent == STORIES
    assert {daemon for daemon, _ in receiver.received} == {"b"}
    assert await alive.delivery_counts() == {"sent": STORIES}


async def test_a_late_write_over_another_daemons_claim_is_refused(
    url: str, daemons: tuple[PostgresStore, PostgresStore]
) -> None:
    slow, other = daemons
    (first, *_) = await slow.due_deliveries(NOW, 1)
    await _sql(url, "UPDATE deliveries SET claim_expires = now() - interval '1 second'")
    taken = await other.due_deliveries(NOW, 100)  # the lapsed claim is taken over
    assert first.delivery.delivery_id in {context.delivery.delivery_id for context in taken}
    await slow.update_deliveries([first.delivery.delivery_id], state=DeliveryState.DEAD, attempts=1,
                                 next_attempt_at=NOW, error="late")  # fmt: skip
    assert await other.delivery_counts() == {"pending": STORIES}  # not dead: other sends it
    assert await slow.due_deliveries(NOW, 100) == []  # all claimed by the other daemon


async def test_the_same_daemon_takes_its_own_claims_again(
    daemons: tuple[PostgresStore, PostgresStore],
) -> None:
    first, _ = daemons
    once = await first.due_deliveries(NOW, 100)
    again = await first.due_deliveries(NOW, 100)
    assert [c.delivery.delivery_id for c in once] == [c.delivery.delivery_id for c in again]


HEADLINE = "Iranian troops land in Latakia as army prepares Homs offensive"


def _outlet_article(n: int, title: str = HEADLINE) -> Article:
    return Article(
        article_id=f"out{n}", feed_url=f"http://outlet{n}/feed", feed_name=f"Outlet {n}",
        guid=f"o{n}", title=title, link=f"http://outlet{n}/story", summary="", content="",
        published=None, fetched_at=NOW,
    )  # fmt: skip


async def _deduplicating(url: str) -> tuple[PostgresStore, Deduplicator]:
    store = PostgresStore(url, max_size=2)
    dedup = Deduplicator(store, DedupSettings())
    store.watch_stories(SharedStories(dedup))
    await store.open()
    await dedup.load(NOW)
    return store, dedup


async def test_a_story_opened_meanwhile_by_another_daemon_is_joined_not_opened_again(
    url: str,
) -> None:
    first, first_dedup = await _deduplicating(url)
    second, second_dedup = await _deduplicating(url)
    try:
        mine, theirs = _outlet_article(1), _outlet_article(2, "UPDATE 1-" + HEADLINE)
        # Both daemons decide before either has stored: each would open the story.
        opened = first_dedup.decide(mine, None)
        also_opened = second_dedup.decide(theirs, None)
        assert opened.verdict is also_opened.verdict is Verdict.NEW_STORY
        second_dedup.remember(theirs, also_opened)
        alert = AlertRecord(
            alert_id="planned", story_id=also_opened.story_id, article_id=theirs.article_id,
            rule="iran", severity=Severity.HIGH, terms=("Iranian",), notifiers=(), created_at=NOW,
        )  # fmt: skip
        await first.record_articles([ArticleRecord(mine, opened, [])])
        (created,) = await second.record_articles([ArticleRecord(theirs, also_opened, [alert])])
        assert [a.story_id for a in created] == [opened.story_id]  # moved with its article
        # A later copy the second daemon folds into the story it opened in mind only.
        later = _outlet_article(3, HEADLINE + " - Outlet 3")
        folded = second_dedup.decide(later, None)
        await second.record_articles([ArticleRecord(later, folded, [])])
        assert await _count(url, "stories") == 1
        assert await _count(url, "articles") == 3
        stored = await second.story(opened.story_id)
        assert stored is not None and stored.article_count == 3
    finally:
        await first.close()
        await second.close()


async def test_an_exact_lookup_teaches_the_index_what_other_daemons_stored(url: str) -> None:
    first, first_dedup = await _deduplicating(url)
    second, second_dedup = await _deduplicating(url)
    try:
        mine = _outlet_article(1)
        await first.record_articles([ArticleRecord(mine, first_dedup.decide(mine, None), [])])
        theirs = _outlet_article(2, "UPDATE 1-" + HEADLINE)
        (known,) = await second.find_articles([theirs])  # as ingest does before deciding
        decision = second_dedup.decide(theirs, known)
        assert decision.verdict is Verdict.FOLDED
        await second.record_articles([ArticleRecord(theirs, decision, [])])  # no conflict: it folds
        assert await _count(url, "stories") == 1
    finally:
        await first.close()
        await second.close()


async def test_another_daemons_page_lead_groups_this_daemons_teaser(url: str) -> None:
    """The other daemon stored a teaser with its page: this daemon learns the page's lead
    with the article, and a teaser of the same event in other words joins its story."""
    mine, theirs = (
        replace(_outlet_article(n, report.title), summary=report.teaser,
                body="\n\n".join(report.paragraphs))
        for n, report in ((1, LANDING_A), (2, LANDING_B))
    )  # fmt: skip
    await _joins_across_daemons(url, [], mine, theirs)


async def _joins_across_daemons(
    url: str, background: list[Article], mine: Article, theirs: Article
) -> None:
    """One daemon records ``background`` and ``mine``; another learns them by its catch-up
    of the shared store, and its own ``theirs`` folds into ``mine``'s story."""
    first, first_dedup = await _deduplicating(url)
    second, second_dedup = await _deduplicating(url)
    try:
        decided = [ArticleRecord(article, first_dedup.decide(article, None), [])
                   for article in background]  # fmt: skip
        opened = first_dedup.decide(mine, None)
        await first.record_articles([*decided, ArticleRecord(mine, opened, [])])
        (known,) = await second.find_articles([theirs])  # the catch-up teaches the index
        decision = second_dedup.decide(theirs, known)
        assert (decision.verdict, decision.story_id) == (Verdict.FOLDED, opened.story_id)
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("event", LATIN_EVENTS, ids=by_language)
async def test_another_daemons_articles_are_learned_in_their_language(
    url: str, event: LatinEvent
) -> None:
    """The other daemon stored a French (Spanish, German, Turkish) report: this daemon
    learns it with its language, and its own report in other inflections joins it."""
    news = [replace(_outlet_article(10 + n, title), language=language)
            for n, (title, language) in enumerate(BACKGROUND)]  # fmt: skip
    mine = replace(_outlet_article(1, event.report), language=event.language)
    theirs = replace(_outlet_article(2, event.reworded), language=event.language)
    await _joins_across_daemons(url, news, mine, theirs)


async def _count(url: str, table: str) -> int:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        row = await (await conn.execute(f"SELECT count(*) FROM {table}")).fetchone()
    assert row is not None
    return int(row[0])
