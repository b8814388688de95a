"""One measurement of ``bench.store_calls``, run as a script in a fresh process whose
``PYTHONPATH`` names the code measured (this tree or a baseline's worktree): the store
calls of a poll cycle on PostgreSQL, with the process's CPU, and psycopg's statements
and round trips counted (a round trip: a wait for the server's answer). Prints one JSON
line. Only ``monitor``'s store interface is used, which older commits share."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Generator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.waiting import Wait

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
from monitor.store.records import OpenedElsewhere, WindowArticle

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
COUNTS = {"statements": 0, "round_trips": 0}


def _count() -> None:
    """Count every statement and wait for an answer of every async psycopg connection."""
    wait, execute = psycopg.AsyncConnection.wait, psycopg.AsyncCursor.execute
    executemany, command = psycopg.AsyncCursor.executemany, psycopg.AsyncConnection._exec_command

    async def counting_wait(self: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
        return await wait(self, _waits(gen), *args, **kwargs)

    async def counting_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS["statements"] += 1
        return await execute(self, *args, **kwargs)

    async def counting_executemany(self: Any, query: Any, params: Any, **kwargs: Any) -> Any:
        params = list(params)
        COUNTS["statements"] += len(params)
        return await executemany(self, query, params, **kwargs)

    def counting_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS["statements"] += 1
        return command(self, *args, **kwargs)

    psycopg.AsyncConnection.wait = counting_wait  # type: ignore[method-assign]
    psycopg.AsyncCursor.execute = counting_execute  # type: ignore[method-assign]
    psycopg.AsyncCursor.executemany = counting_executemany  # type: ignore[method-assign,assignment]
    psycopg.AsyncConnection._exec_command = counting_command  # type: ignore[method-assign]


def _waits(gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
    try:
        wanted = next(gen)
        while True:
            if wanted == Wait.R:
                COUNTS["round_trips"] += 1
            wanted = gen.send((yield wanted))
    except StopIteration as done:
        return done.value


class Watch:
    """A story index that learns nothing new: the daemon's watch, without its work."""

    def learn(self, articles: Sequence[WindowArticle]) -> None:
        pass

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]:
        return {}


def _article(feed: int, name: str) -> Article:
    return Article(
        article_id=f"a-{feed}-{name}", feed_url=_feed(feed), feed_name=f"Outlet {feed}",
        guid=f"g-{name}", title=f"Strikes on the port {feed} {name}",
        link=f"http://o{feed}.test/{name}", summary="", content="", published=None,
        fetched_at=NOW, fingerprint=f"f-{feed}-{name}",
    )  # fmt: skip


def _feed(feed: int) -> str:
    return f"http://o{feed}.test/feed"


def _facts(feed: int, name: str) -> StoryFacts:
    return StoryFacts(outlet=_feed(feed), lead_fingerprint=f"lead-{feed}-{name}",
                      places=("Odesa",), actors=("Port authority",))  # fmt: skip


def _plan(state: StoryAlertState) -> Sequence[AlertRecord]:
    return []


def _records(feed: int) -> list[ArticleRecord]:
    """Two new articles: one opens a story, one joins the feed's stored story."""
    opens = DedupDecision(Verdict.NEW_STORY, f"s-new-{feed}", facts=_facts(feed, "new"))
    joins = DedupDecision(Verdict.FOLDED, f"s-{feed}", f"a-{feed}-old", MatchKind.RELATED,
                          _facts(feed, "more"))  # fmt: skip
    return [ArticleRecord(_article(feed, "new"), opens, _plan),
            ArticleRecord(_article(feed, "more"), joins, _plan)]  # fmt: skip


async def _stored(store: PostgresStore, feeds: int) -> None:
    for feed in range(feeds):
        opens = DedupDecision(Verdict.NEW_STORY, f"s-{feed}", facts=_facts(feed, "old"))
        await store.record_articles([ArticleRecord(_article(feed, "old"), opens, [])])
        await store.save_feed_state(FeedState(_feed(feed), last_polled=NOW))


async def _measure(url: str, feeds: int) -> dict[str, float]:
    store = PostgresStore(url, max_size=4)
    await store.open()
    store.watch_stories(Watch())
    await store.recent_articles(NOW)
    await _stored(store, feeds)
    _count()
    cpu, wall = time.process_time(), time.perf_counter()
    for feed in range(feeds):  # one feed after another, as the ingest's serial path
        records = _records(feed)
        await store.find_articles([record.article for record in records])
        await store.record_articles(records)
        await store.save_feed_state(FeedState(_feed(feed), last_polled=NOW, etag="v2"))
    new = (time.process_time() - cpu, time.perf_counter() - wall, dict(COUNTS))
    COUNTS.update(statements=0, round_trips=0)
    cpu = time.process_time()
    states = [FeedState(_feed(feed), last_polled=NOW, last_status=304) for feed in range(feeds)]
    await asyncio.gather(*(store.save_feed_state(state) for state in states))
    unchanged = (time.process_time() - cpu, dict(COUNTS))
    await store.close()
    return {
        "new_cpu_ms": 1e3 * new[0] / feeds, "new_wall_ms": 1e3 * new[1] / feeds,
        "new_statements": new[2]["statements"] / feeds,
        "new_round_trips": new[2]["round_trips"] / feeds,
        "unchanged_cpu_ms": 1e3 * unchanged[0] / feeds,
        "unchanged_statements": unchanged[1]["statements"],
        "unchanged_round_trips": unchanged[1]["round_trips"],
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_measure(sys.argv[1], int(sys.argv[2])))))
