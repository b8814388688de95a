"""The claim loop on PostgreSQL: two daemons' loops poll each due feed once, a stopped loop
claims nothing, slots freed during a claim are filled at once, a long poll has its lease
extended, a feed a reload dropped is no longer claimed, and a refused release or a shutdown
during a claim logs no error.

Lease expiry is moved by writing ``lease_expires`` in the past (the database's clock
decides), never by sleeping."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from structlog.testing import capture_logs

from monitor.config.feeds import FeedSettings
from monitor.daemon.leases import ClaimLoop
from monitor.daemon.scheduler import add_periodic_job, make_scheduler
from monitor.store.postgres.store import PostgresStore
from monitor.store.records import FeedSet, NotWritableCause, StoreNotWritableError
from tests.support.leases import LATER, URLS
from tests.support.leases import run_sql as _sql
from tests.support.stores import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]


HANG_GUARD = 30.0  # seconds; reached only when the loop never fills its slots


async def test_the_claim_loops_of_two_daemons_poll_each_due_feed_once(
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    polled: list[tuple[str, str]] = []
    loops = []
    for name, store in zip("ab", lease_stores, strict=True):

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
    assert await lease_stores[0].lease_owners() == {}
    assert await loops[0].tick() == 0  # nothing due before LATER


async def test_a_stopped_loop_claims_nothing(
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    async def poll(_feed: FeedSettings) -> object:
        raise AssertionError("not polled")

    loop = ClaimLoop(lease_stores[0], "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=4)
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
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    leases = GatedClaims(lease_stores[0])
    finish = {url: asyncio.Event() for url in URLS[:4]}
    started: list[str] = []
    two_started, all_started = asyncio.Event(), asyncio.Event()

    async def poll(feed: FeedSettings) -> object:
        started.append(feed.url)
        if len(started) in (2, len(finish)):
            (two_started if len(started) == 2 else all_started).set()
        await finish[feed.url].wait()
        return "ok"

    loop = ClaimLoop(leases, "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=2)
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
    lease_schema_url: str, lease_stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, second = lease_stores
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
    await _sql(lease_schema_url, "UPDATE feeds SET lease_expires = now() + interval '1 minute'")
    assert await loop.tick() == 0  # extends the lease; the batch is full
    expiry = await _lease_left(lease_schema_url)
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


async def test_a_feed_dropped_by_a_reload_is_no_longer_claimed(
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    polled: list[str] = []

    async def poll(feed: FeedSettings) -> object:
        polled.append(feed.url)
        return "ok"

    loop = ClaimLoop(lease_stores[0], "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=8)
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
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    leases = RefusingReleases(lease_stores[0])

    async def poll(_feed: FeedSettings) -> object:
        return "ok"

    loop = ClaimLoop(leases, "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=1)
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
    lease_schema_url: str,
    lease_stores: tuple[PostgresStore, PostgresStore],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The scheduler's shutdown cancels a claim waiting on the database: no job error, no
    traceback, and the claim's own code is unwound (its lock wait given up)."""

    async def poll(feed: FeedSettings) -> object:
        return None

    loop = ClaimLoop(lease_stores[0], "a", poll, lambda _f, _o: LATER, lease_seconds=60, batch=4)
    loop.update([FeedSettings(url=URLS[0])])
    scheduler, ended = make_scheduler(), asyncio.Event()
    events: list[JobExecutionEvent] = []

    def ran(event: JobExecutionEvent) -> None:
        events.append(event)
        ended.set()

    scheduler.add_listener(ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    add_periodic_job(scheduler, "claim", 3600, loop.claim_now)
    async with await psycopg.AsyncConnection.connect(lease_schema_url, autocommit=True) as peer:
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
