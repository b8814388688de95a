"""PostgreSQL writes run pipelined (docs/decisions/0075): what a poll costs the daemon,
counted in statements sent and round trips waited for (tests/support/round_trips.py; an
exact count from libpq's trace of what the client sent, bounds from its waits),
for the shapes a poll cycle is made of (a feed answering 304; a feed with two new
articles, one opening a story and one joining a stored one, both planned for alerts);
and a statement failing in a pipeline leaves the connection as usable as before.

The bounds are far below what one round trip per statement costs (25 for the two
articles, 3 for a 304), with room for a server that sends a flush's answers in pieces."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    FeedState,
    MatchKind,
    StoryAlertState,
    StoryFacts,
    Verdict,
)
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.store import PostgresStore
from monitor.store.sql.rows import FEED_COLUMNS
from monitor.store.sql.statements import FEED_TYPES
from tests.support.round_trips import counted, libpq_traced, sent
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FEED = "http://outlet.test/feed"


def _article(name: str) -> Article:
    return Article(
        article_id=f"a-{name}", feed_url=FEED, feed_name="Outlet", guid=f"g-{name}",
        title=f"Strikes on the port {name}", link=f"http://outlet.test/{name}", summary="",
        content="", published=None, fetched_at=NOW, fingerprint=f"f-{name}",
    )  # fmt: skip


def _facts(name: str) -> StoryFacts:
    return StoryFacts(outlet=FEED, lead_fingerprint=f"lead-{name}", places=("Odesa",),
                      actors=("Port authority",))  # fmt: skip


def _planned(states: list[StoryAlertState]) -> object:
    def plan(state: StoryAlertState) -> Sequence[AlertRecord]:
        states.append(state)
        return []

    return plan


@pytest.fixture(name="store")
async def _store() -> AsyncIterator[PostgresStore]:
    async with _store_of(max_size=2) as store:
        yield store


@asynccontextmanager
async def _store_of(max_size: int) -> AsyncIterator[PostgresStore]:
    """A store in a schema of its own holding one story's article and one feed's state."""
    async with postgres_schema() as url:
        store = PostgresStore(url, max_size=max_size)
        await store.open()
        try:
            await store.record_articles([ArticleRecord(
                _article("old"), DedupDecision(Verdict.NEW_STORY, "s-old", facts=_facts("old")),
                [],
            )])  # fmt: skip
            await store.save_feed_state(FeedState(FEED, last_polled=NOW))
            yield store
        finally:
            await store.close()


async def _new_articles(store: PostgresStore) -> list[StoryAlertState]:
    """One feed's poll with two new articles: looked up, stored, its state saved."""
    states: list[StoryAlertState] = []
    opening, joining = _article("new"), _article("more")
    await store.find_articles([opening, joining])
    folded = DedupDecision(Verdict.FOLDED, "s-old", "a-old", MatchKind.RELATED, _facts("more"))
    await store.record_articles([
        ArticleRecord(opening, DedupDecision(Verdict.NEW_STORY, "s-new", facts=_facts("new")),
                      _planned(states)),  # type: ignore[arg-type]
        ArticleRecord(joining, folded, _planned(states)),  # type: ignore[arg-type]
    ])  # fmt: skip
    await store.save_feed_state(FeedState(FEED, last_polled=NOW, etag="v2"))
    return states


async def test_a_feed_with_two_new_articles_costs_a_round_trip_per_read(
    store: PostgresStore,
) -> None:
    """Lookups (one), the write's catch-up, both alert plannings together, the settling
    read (no story watch here: none), publishing with its commit, the feed's state."""
    with counted() as cost:
        states = await _new_articles(store)
    assert [(s.story_id, s.outlets) for s in states] == [("s-new", 1), ("s-old", 1)]
    assert cost.round_trips <= 8
    stored = {a.article.article_id: a.story_id for a in await store.articles_since(NOW)}
    assert stored == {"a-old": "s-old", "a-new": "s-new", "a-more": "s-old"}
    assert (await store.feed_state(FEED)) == FeedState(FEED, last_polled=NOW, etag="v2")


async def test_feeds_answering_304_together_cost_one_statement_and_one_round_trip(
    tmp_path: Path,
) -> None:
    """Counted from what the client sent (libpq's trace), not from its waits: under load
    the server's answer could be there before the client looked, a round trip unseen."""
    states = [FeedState(f"{FEED}/{n}", last_polled=NOW, last_status=304) for n in range(10)]
    trace = tmp_path / "libpq.trace"
    async with _store_of(max_size=1) as store:  # one connection: the one traced
        async with libpq_traced(store, trace):
            await asyncio.gather(*(store.save_feed_state(state) for state in states))
        saved = {s.url: s for s in await store.feed_states()}
    cost = sent(trace.read_text())
    assert (cost.statements, cost.round_trips) == (3, 1)  # BEGIN, the upsert, COMMIT
    assert saved == {FEED: FeedState(FEED, last_polled=NOW), **{s.url: s for s in states}}


async def test_the_feed_state_arrays_have_the_tables_column_types(store: PostgresStore) -> None:
    found = await store._rows(
        "SELECT column_name AS name, format_type(atttypid, atttypmod) AS type"
        " FROM information_schema.columns JOIN pg_attribute"
        " ON attrelid = 'feeds'::regclass AND attname = column_name"
        " WHERE table_schema = current_schema() AND table_name = 'feeds'"
    )
    types = {row["name"]: row["type"] for row in found}
    expected = {"timestamptz": "timestamp with time zone"}
    assert {c: expected.get(t, t) for c, t in FEED_TYPES.items()} == {
        c: types[c] for c in FEED_COLUMNS
    }


@pytest.mark.parametrize("failing", range(1, 8))
async def test_a_write_failing_in_its_pipeline_at_any_run_leaves_the_connection_usable(
    failing: int,
) -> None:
    """psycopg prepares a statement at its fifth run; a statement queued behind one that
    fails is skipped by the server. Whichever run fails, later writes on the connection
    still work (decision 0073 met this with a COMMIT recorded as prepared, never made)."""
    async with postgres_schema() as url:
        store = PostgresStore(url, max_size=1)  # one connection: every write on it
        await store.open()
        try:
            taken = DedupDecision(Verdict.NEW_STORY, "s-taken", facts=_facts("first"))
            await store.record_articles([ArticleRecord(_article("first"), taken, [])])
            for run in range(1, 10):
                story = "s-taken" if run == failing else f"s-n{run}"
                decision = DedupDecision(Verdict.NEW_STORY, story, facts=_facts(f"n{run}"))
                record = ArticleRecord(_article(f"n{run}"), decision, [])
                if run != failing:
                    await store.record_articles([record])
                    continue
                with pytest.raises(psycopg.errors.UniqueViolation):  # the story exists
                    await store.record_articles([record])
            stored = {a.article.article_id for a in await store.articles_since(NOW)}
        finally:
            await store.close()
    assert stored == {"a-first"} | {f"a-n{run}" for run in range(1, 10) if run != failing}
