"""A write cancelled once its COMMIT is out (decision 0081), on the local PostgreSQL
through a loopback relay that holds the server's answer to the COMMIT
(tests/support/held_answers.py): the server has committed, the daemon has not heard.

The caller must never hear a bare "cancelled" then: the articles are stored, and a
daemon that believed otherwise would look them up as new after a restart's warm-up of a
stale index, or raise their alerts again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from monitor.ingest.writer import IngestWriter, WriteUnansweredError
from monitor.records import AlertRecord, Article, DedupDecision, StoryFacts, Verdict
from monitor.store.cancelled import Stored, WriteEnding, write_ending
from monitor.store.interface import ArticleRecord
from monitor.store.postgres import schema
from monitor.store.postgres.store import PostgresStore
from rules import Severity
from tests.support.held_answers import CommitHold
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FEED = "http://outlet.test/feed"


def _record() -> ArticleRecord:
    article = Article(
        article_id="a-1", feed_url=FEED, feed_name="Outlet", guid="g-1",
        title="Strikes on the port", link="http://outlet.test/1", summary="", content="",
        published=None, fetched_at=NOW, fingerprint="f-1",
    )  # fmt: skip
    alert = AlertRecord(
        alert_id="al-1", story_id="s-1", article_id="a-1", rule="ports",
        severity=Severity.HIGH, terms=("port",), notifiers=("hook",), created_at=NOW,
    )  # fmt: skip
    facts = StoryFacts(outlet=FEED, lead_fingerprint="lead-1")
    return ArticleRecord(article, DedupDecision(Verdict.NEW_STORY, "s-1", facts=facts), [alert])


@pytest.fixture(name="held")
async def _held() -> AsyncIterator[tuple[CommitHold, PostgresStore]]:
    async with postgres_schema() as url, CommitHold(url) as hold:
        store = PostgresStore(hold.url, max_size=1)
        await store.open()
        try:
            yield hold, store
        finally:
            hold.release()
            await store.close()


async def _cancel_at_the_commit(
    hold: CommitHold, store: PostgresStore, *, released: bool
) -> WriteEnding:
    """Write one article and cancel the writer once the server has committed; what the
    writer heard."""
    heard: list[WriteEnding] = []

    async def write() -> None:
        with write_ending() as ending:
            heard.append(ending)
            await store.record_articles([_record()])

    hold.arm()
    writing = asyncio.ensure_future(write())
    await hold.answered.wait()  # committed by the server, its answer held
    writing.cancel()
    if released:
        hold.release()
    with pytest.raises(asyncio.CancelledError) as raised:  # the cancellation is never swallowed
        await writing
    assert type(raised.value) is asyncio.CancelledError  # asyncio.timeout, TaskGroup: theirs
    hold.release()
    return heard[0]


async def test_a_write_cancelled_after_the_server_committed_hears_it_is_stored(
    held: tuple[CommitHold, PostgresStore],
) -> None:
    hold, store = held
    heard = await _cancel_at_the_commit(hold, store, released=True)
    assert heard.stored is Stored.YES
    assert [[alert.alert_id for alert in alerts] for alerts in heard.outcome] == [["al-1"]]  # type: ignore[attr-defined]
    assert [a.article.article_id for a in await store.articles_since(NOW)] == ["a-1"]
    assert await store.record_articles([]) == []  # the connection is usable after


async def test_a_commit_whose_answer_never_comes_is_maybe_stored_never_not_stored(
    held: tuple[CommitHold, PostgresStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "COMMIT_GRACE", 0.0)  # the answer is held past the grace
    hold, store = held
    heard = await _cancel_at_the_commit(hold, store, released=False)
    assert heard.stored is Stored.MAYBE  # here it was
    assert [a.article.article_id for a in await store.articles_since(NOW)] == ["a-1"]


async def test_a_write_under_asyncio_timeout_held_at_its_commit_times_out_and_says_stored(
    held: tuple[CommitHold, PostgresStore],
) -> None:
    """Python 3.11's asyncio.timeout turns only a plain CancelledError into TimeoutError:
    a store call running out of time at its COMMIT is a timeout (not the caller's own
    cancellation), and a caller that asks still hears it is stored, with its alerts."""
    hold, store = held
    deadline = asyncio.timeout(None)

    async def write() -> WriteEnding:
        with write_ending() as ending:
            with pytest.raises(TimeoutError):
                async with deadline:
                    await store.record_articles([_record()])
            return ending

    hold.arm()
    writing = asyncio.ensure_future(write())
    await hold.answered.wait()
    deadline.reschedule(asyncio.get_running_loop().time())  # it runs out now
    hold.release()
    heard = await writing
    assert heard.stored is Stored.YES
    assert [[alert.alert_id for alert in alerts] for alerts in heard.outcome] == [["al-1"]]  # type: ignore[attr-defined]
    assert not writing.cancelled() and writing.cancelling() == 0
    assert [a.article.article_id for a in await store.articles_since(NOW)] == ["a-1"]


@pytest.mark.parametrize("answered", [True, False])
async def test_the_ingest_writer_cancelled_at_the_commit_tells_its_polls_the_truth(
    held: tuple[CommitHold, PostgresStore], monkeypatch: pytest.MonkeyPatch, answered: bool
) -> None:
    """The writer's task is cancelled (as the loop's end cancels it) once the server has
    committed: the poll waiting on the batch gets its alerts; with no answer, an error
    saying it may be stored, and the story index is read again before the next batch."""
    monkeypatch.setattr(schema, "COMMIT_GRACE", 60.0 if answered else 0.0)
    hold, store = held
    writer = IngestWriter()
    hold.arm()
    done = writer.submit(store, [_record()], frozenset(), writer.generation)
    await hold.answered.wait()
    assert writer._task is not None
    writer._task.cancel()
    if answered:
        hold.release()
        created = await done
        assert [[alert.alert_id for alert in alerts] for alerts in created] == [["al-1"]]
        assert not writer.stale
        return
    with pytest.raises(WriteUnansweredError):
        await done
    assert writer.stale


async def test_a_write_cancelled_in_its_statistics_refresh_after_the_commit_says_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tables' statistics are refreshed after the commit: a cancel there finds the
    articles stored, with their alerts (it used to read "not stored")."""
    async with postgres_schema() as url:
        store = PostgresStore(url, max_size=1)
        await store.open()
        refreshing, never = asyncio.Event(), asyncio.Event()

        async def held_refresh(conn: object) -> None:
            refreshing.set()
            await never.wait()

        monkeypatch.setattr(store.statistics, "grew", lambda rows: True)
        monkeypatch.setattr(store.statistics, "refresh", held_refresh)
        heard: list[WriteEnding] = []

        async def write() -> None:
            with write_ending() as ending:
                heard.append(ending)
                await store.record_articles([_record()])

        try:
            writing = asyncio.ensure_future(write())
            await refreshing.wait()
            writing.cancel()
            with pytest.raises(asyncio.CancelledError):
                await writing
            assert heard[0].stored is Stored.YES
            assert [[a.alert_id for a in alerts] for alerts in heard[0].outcome] == [["al-1"]]  # type: ignore[attr-defined]
        finally:
            await store.close()
