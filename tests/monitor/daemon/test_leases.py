"""Feed leases on PostgreSQL: daemons claiming at once never share a feed, a lapsed lease
(a dead daemon) is taken over, a release stores the next poll, the claim loop polls each
due feed once across two daemons, and housekeeping runs on one daemon at a time.

Lease expiry is moved by writing ``lease_expires`` in the past (the database's clock
decides), never by sleeping."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from structlog.testing import capture_logs

from monitor.config.feeds import FeedSettings
from monitor.daemon.leases import ClaimLoop, run_exclusively
from monitor.daemon.scheduler import add_periodic_job, make_scheduler
from monitor.store.postgres.store import PostgresStore
from monitor.store.records import FeedSet, NotWritableCause, StoreNotWritableError
from monitor.web.status_page import StatusPage
from monitor.web.status_view import StatusSource, read_status
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

URLS = [f"https://feeds.example/{n:02d}.xml" for n in range(20)]
LATER = datetime(2100, 1, 1, tzinfo=UTC)
HANG_GUARD = 30.0  # seconds; reached only when the loop never fills its slots


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with postgres_schema() as location:
        yield location


@pytest.fixture
async def stores(url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two daemons' stores: separate pools on one schema."""
    first, second = PostgresStore(url, max_size=4), PostgresStore(url, max_size=4)
    await first.open()
    await second.open()
    await first.publish_feeds(URLS)
    yield first, second
    await first.close()
    await second.close()


async def _sql(url: str, statement: str, *values: object) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(statement, values)


async def test_daemons_claiming_at_once_never_get_the_same_feed(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = stores
    for _ in range(5):  # several rounds of simultaneous claims over the same due feeds
        a, b = await asyncio.gather(
            first.claim_due("a", 12, 60, FeedSet(URLS)),
            second.claim_due("b", 12, 60, FeedSet(URLS)),
        )
        urls_a, urls_b = {state.url for state, _ in a}, {state.url for state, _ in b}
        assert not urls_a & urls_b
        assert urls_a | urls_b == set(URLS)
        for url in urls_a:
            assert await first.release("a", url, None)
        for url in urls_b:
            assert await second.release("b", url, None)


async def test_a_held_lease_is_not_claimed_and_a_lapsed_one_is_taken_over(
    url: str, stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, second = stores
    (claimed,) = await first.claim_due("a", 1, 60, FeedSet(URLS[:1]))
    assert claimed[0].url == URLS[0]
    assert await second.claim_due("b", 5, 60, FeedSet(URLS[:1])) == []
    assert (await first.lease_owners())[URLS[0]] == "a"
    # "a" died: its lease lapses by the database's clock.
    await _sql(url, "UPDATE feeds SET lease_expires = now() - interval '1 second'")
    assert URLS[0] not in await first.lease_owners()
    (taken,) = await second.claim_due("b", 5, 60, FeedSet(URLS[:1]))
    assert taken[0].url == URLS[0]
    assert not await first.release("a", URLS[0], LATER)  # no longer a's to give back
    assert await first.renew_leases("a", URLS[:1], 60) == set()
    assert await second.renew_leases("b", URLS[:1], 60) == {URLS[0]}


async def test_a_release_stores_the_next_poll_and_frees_the_feed(
    url: str, stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, second = stores
    await first.claim_due("a", 1, 60, FeedSet(URLS[:1]))
    assert await first.release("a", URLS[0], LATER)
    state = await first.feed_state(URLS[0])
    assert state is not None and state.next_poll == LATER
    assert await first.lease_owners() == {}
    assert await second.claim_due("b", 5, 60, FeedSet(URLS[:1])) == []  # not due until LATER
    await _sql(url, "UPDATE feeds SET next_poll = now() - interval '1 second'")
    assert [
        state.url for state, _ in await second.claim_due("b", 5, 60, FeedSet(URLS[:1]))
    ] == URLS[:1]


async def test_gone_and_unconfigured_feeds_are_not_claimed(
    url: str, stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, _ = stores
    await _sql(url, "UPDATE feeds SET disabled = 'gone (410)' WHERE url = %s", URLS[0])
    claimed = await first.claim_due("a", 50, 60, FeedSet(URLS[:3]))
    assert sorted(state.url for state, _ in claimed) == URLS[1:3]


async def test_the_claim_loops_of_two_daemons_poll_each_due_feed_once(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    polled: list[tuple[str, str]] = []
    loops = []
    for name, store in zip("ab", stores, strict=True):

        async def poll(feed: FeedSettings, name: str = name) -> object:
            polled.append((name, feed.url))
            await asyncio.sleep(0)  # let the other daemon claim meanwhile
            return "ok"

        loop = ClaimLoop(store, name, poll, lambda _f, _o: LATER, lease_seconds=60, batch=4)
        loop.update(FeedSettings(url=url, name=url) for url in URLS)
        loops.append(loop)
    await asyncio.gather(*(loop.tick() for loop in loops))
    await asyncio.gather(*(loop.wait_idle() for loop in loops))
    assert sorted(url for _, url in polled) == URLS  # every feed once, by one daemon
    assert {name for name, _ in polled} == {"a", "b"}
    assert await stores[0].lease_owners() == {}
    assert await loops[0].tick() == 0  # nothing due before LATER


async def test_a_stopped_loop_claims_nothing(stores: tuple[PostgresStore, PostgresStore]) -> None:
    async def poll(_feed: FeedSettings) -> object:
        raise AssertionError("not polled")

    loop = ClaimLoop(stores[0], "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=4)
    loop.update([FeedSettings(url=URLS[0], name="one")])
    loop.stop()
    assert await loop.tick() == 0


class GatedClaims:
    """A store whose claims wait at a gate while it is shut (so polls can finish meanwhile),
    and that tells when a feed's lease has been given back."""

    def __init__(self, store: PostgresStore) -> None:
        self.store, self.gate, self.entered = store, asyncio.Event(), asyncio.Event()
        self.released: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.gate.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def claim_due(self, *args: Any) -> Any:
        self.entered.set()
        await self.gate.wait()
        return await self.store.claim_due(*args)

    async def release(self, owner: str, url: str, next_poll: datetime | None) -> bool:
        held = await self.store.release(owner, url, next_poll)
        self.released[url].set()
        return held


async def test_slots_freed_during_a_claim_are_filled_without_waiting_for_a_tick(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    leases = GatedClaims(stores[0])
    finish = {url: asyncio.Event() for url in URLS[:4]}
    started: list[str] = []
    two_started, all_started = asyncio.Event(), asyncio.Event()

    async def poll(feed: FeedSettings) -> object:
        started.append(feed.url)
        if len(started) in (2, len(finish)):
            (two_started if len(started) == 2 else all_started).set()
        await finish[feed.url].wait()
        return "ok"

    loop = ClaimLoop(leases, "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=2)  # type: ignore[arg-type]
    loop.update(FeedSettings(url=url, name=url) for url in finish)
    assert await loop.tick() == 2
    await two_started.wait()
    first, second = started
    leases.gate.clear()
    leases.entered.clear()
    finish[first].set()  # its slot frees; the claim it asks for waits at the gate
    await leases.entered.wait()
    finish[second].set()  # its slot frees too while that claim is out
    await leases.released[second].wait()
    assert await loop.tick() == 0  # a claim is out: this tick is folded into it
    leases.gate.set()
    await asyncio.wait_for(all_started.wait(), HANG_GUARD)  # both slots filled, no tick
    assert sorted(started) == URLS[:4]
    for event in finish.values():
        event.set()
    await loop.wait_idle()


async def test_a_long_poll_has_its_lease_extended(
    url: str, stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, second = stores
    started, finish = asyncio.Event(), asyncio.Event()

    async def poll(_feed: FeedSettings) -> object:
        started.set()
        await finish.wait()
        return "ok"

    loop = ClaimLoop(first, "a", poll, lambda _f, _o: LATER, lease_seconds=3600, batch=1)
    loop.renew_after = 0.0  # every tick extends the running poll's lease
    loop.update([FeedSettings(url=URLS[0], name="one")])
    await loop.tick()
    await started.wait()
    await _sql(url, "UPDATE feeds SET lease_expires = now() + interval '1 minute'")
    assert await loop.tick() == 0  # extends the lease; the batch is full
    expiry = await _lease_left(url)
    assert expiry > timedelta(minutes=30)
    assert await second.claim_due("b", 1, 60, FeedSet(URLS[:1])) == []
    finish.set()
    await loop.wait_idle()
    state = await first.feed_state(URLS[0])
    assert state is not None and state.next_poll == LATER


async def _lease_left(url: str) -> timedelta:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        row = await (await conn.execute("SELECT max(lease_expires) - now() FROM feeds")).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["retention", "websub_renew"])
async def test_housekeeping_runs_on_one_daemon_at_a_time(
    stores: tuple[PostgresStore, PostgresStore], name: str
) -> None:
    first, second = stores
    async with first.exclusive(name) as mine:
        assert mine
        async with second.exclusive(name) as theirs:
            assert not theirs
        async with second.exclusive("other") as unrelated:
            assert unrelated
    async with second.exclusive(name) as theirs:
        assert theirs


async def test_housekeeping_skips_while_another_daemon_runs_it(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = stores
    runs: list[str] = []
    running, finish = asyncio.Event(), asyncio.Event()

    async def long_run() -> str:
        runs.append("first")
        running.set()
        await finish.wait()
        return "done"

    async def other_run() -> str:
        runs.append("second")
        return "done"

    started = asyncio.ensure_future(run_exclusively(first, "retention", long_run))
    await running.wait()
    assert await run_exclusively(second, "retention", other_run) is None
    finish.set()
    assert await started == "done"
    assert runs == ["first"]
    assert await run_exclusively(second, "retention", other_run) == "done"


async def test_a_store_of_its_own_runs_housekeeping_unconditionally() -> None:
    async def work() -> int:
        return 7

    assert await run_exclusively(object(), "retention", work) == 7


async def test_the_status_page_names_the_daemon_polling_a_feed(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, _ = stores
    feeds = [FeedSettings(url=URLS[0], name="Leased"), FeedSettings(url=URLS[1], name="Idle")]
    await first.claim_due("<poller-a>", 1, 60, FeedSet(URLS[:1]))
    source = StatusSource(first, lambda: feeds, lambda: None, lambda: LATER)
    rows = {row.name: row.polled_by for row in (await read_status(source)).feeds}
    assert (rows["Leased"], rows["Idle"]) == ("<poller-a>", None)
    page = (await StatusPage(source).render()).decode()
    assert "polling: &lt;poller-a&gt;" in page  # escaped like every other value
    assert page.count("polling: ") == 1


async def test_a_feed_dropped_by_a_reload_is_no_longer_claimed(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    polled: list[str] = []

    async def poll(feed: FeedSettings) -> object:
        polled.append(feed.url)
        return "ok"

    loop = ClaimLoop(stores[0], "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=8)
    loop.update(FeedSettings(url=url, name=url) for url in URLS[:3])
    loop.forget([URLS[1]])
    await loop.tick()
    await loop.wait_idle()
    assert sorted(polled) == [URLS[0], URLS[2]]


class RefusingReleases(GatedClaims):
    """A store that claims, but refuses to write a release (a full disk)."""

    async def release(self, owner: str, url: str, next_poll: datetime | None) -> bool:
        self.released[url].set()
        raise StoreNotWritableError(NotWritableCause.DISK_FULL, "db", "disk full")


async def test_a_release_the_store_refuses_is_no_traceback(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    leases = RefusingReleases(stores[0])

    async def poll(_feed: FeedSettings) -> object:
        return "ok"

    loop = ClaimLoop(leases, "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=1)  # type: ignore[arg-type]
    loop.update([FeedSettings(url=URLS[0], name="one")])
    with capture_logs() as logs:
        assert await loop.tick() == 1
        await leases.released[URLS[0]].wait()
        await loop.wait_idle()
    assert [e["event"] for e in logs if e["log_level"] in ("error", "critical")] == []


# Sessions waiting for a lock this session holds (the claim's, as nothing else waits here).
_WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
)


async def _wait_for_a_lock_waiter(peer: psycopg.AsyncConnection[tuple[Any, ...]]) -> None:
    """Until another session waits on a lock ``peer`` holds (the database's view is polled,
    each wait by the database's clock; a hang guard bounds it)."""
    for _ in range(int(HANG_GUARD / 0.05)):
        row = await (await peer.execute(_WAITING)).fetchone()
        if row is not None and int(row[0]) > 0:
            return
        await peer.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("no session ever waited on a lock the test holds")


async def test_a_shutdown_during_a_claim_logs_no_error(
    url: str, stores: tuple[PostgresStore, PostgresStore], caplog: pytest.LogCaptureFixture
) -> None:
    """The scheduler's shutdown cancels a claim waiting on the database: no job error, no
    traceback, and the claim's own code is unwound (its lock wait given up)."""

    async def poll(feed: FeedSettings) -> object:
        return None

    loop = ClaimLoop(stores[0], "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=4)
    loop.update([FeedSettings(url=URLS[0])])
    scheduler, ended = make_scheduler(), asyncio.Event()
    events: list[JobExecutionEvent] = []
    scheduler.add_listener(
        lambda event: (events.append(event), ended.set()), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
    )
    add_periodic_job(scheduler, "claim", 3600, loop.claim_now)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as peer:
        async with peer.transaction():
            await peer.execute("LOCK TABLE feeds IN ACCESS EXCLUSIVE MODE")
            with capture_logs() as logs:
                scheduler.start()
                scheduler.modify_job("claim", next_run_time=datetime.now(UTC))
                await _wait_for_a_lock_waiter(peer)  # the claim, stuck behind the lock
                scheduler.shutdown(wait=False)
                await asyncio.wait_for(ended.wait(), HANG_GUARD)
        assert await (await peer.execute(_WAITING)).fetchone() == (0,)  # nobody waits now
    assert [event.code for event in events] == [EVENT_JOB_EXECUTED]
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert not [entry for entry in logs if entry["log_level"] in {"warning", "error"}]
    assert {"event": "job_cancelled", "job": "claim", "log_level": "debug"} in logs
