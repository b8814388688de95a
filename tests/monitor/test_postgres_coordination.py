"""Several daemons on one PostgreSQL schema: each outbox delivery is sent by one daemon, a
delivery claimed by a daemon that died is sent by another once its claim lapses, and a
daemon's late write over another's claim is refused.

Each daemon is a store with its own pool and name. Claim expiry is moved by writing
``claim_expires`` in the past (the database's clock decides), never by sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import psycopg
import pytest

import notifiers
from monitor.dispatch import Dispatcher, Redactor
from monitor.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.postgres_store import PostgresStore
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


def _story(n: int) -> tuple[Article, DedupDecision, list[AlertRecord]]:
    article = Article(
        article_id=f"a{n}", feed_url="http://one/feed", feed_name="One", guid=f"g{n}",
        title=f"Story number {n}", link=f"http://one/{n}", summary="", content="",
        published=None, fetched_at=NOW,
    )  # fmt: skip
    alert = AlertRecord(
        alert_id=f"al{n}", story_id=f"s{n}", article_id=f"a{n}", rule="any", severity="high",
        terms=("Story",), notifiers=("hook",), created_at=NOW,
    )  # fmt: skip
    return article, DedupDecision(Verdict.NEW_STORY, f"s{n}"), [alert]


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
        await conn.execute(statement)  # type: ignore[arg-type]


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
    await slow.update_delivery(first.delivery.delivery_id, state="dead", attempts=1,
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
