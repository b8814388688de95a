"""Feed leases on PostgreSQL: daemons claiming at once never share a feed, a lapsed lease
(a dead daemon) is taken over, a release stores the next poll, and housekeeping runs on one
daemon at a time (the claim loop: test_claim_loop.py).

Lease expiry is moved by writing ``lease_expires`` in the past (the database's clock
decides), never by sleeping."""

from __future__ import annotations

import asyncio

import pytest

from monitor.config.feeds import FeedSettings
from monitor.daemon.leases import run_exclusively
from monitor.store.postgres.store import PostgresStore
from monitor.store.records import FeedSet
from monitor.web.status_page import StatusPage
from monitor.web.status_view import StatusSource, read_status
from tests.support.leases import LATER, URLS
from tests.support.leases import run_sql as _sql
from tests.support.stores import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]


async def test_daemons_claiming_at_once_never_get_the_same_feed(
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = lease_stores
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
    lease_schema_url: str, lease_stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, second = lease_stores
    (claimed,) = await first.claim_due("a", 1, 60, FeedSet(URLS[:1]))
    assert claimed[0].url == URLS[0]
    assert await second.claim_due("b", 5, 60, FeedSet(URLS[:1])) == []
    assert (await first.lease_owners())[URLS[0]] == "a"
    # "a" died: its lease lapses by the database's clock.
    await _sql(lease_schema_url, "UPDATE feeds SET lease_expires = now() - interval '1 second'")
    assert URLS[0] not in await first.lease_owners()
    (taken,) = await second.claim_due("b", 5, 60, FeedSet(URLS[:1]))
    assert taken[0].url == URLS[0]
    assert not await first.release("a", URLS[0], LATER)  # no longer a's to give back
    assert await first.renew_leases("a", URLS[:1], 60) == set()
    assert await second.renew_leases("b", URLS[:1], 60) == {URLS[0]}


async def test_a_release_stores_the_next_poll_and_frees_the_feed(
    lease_schema_url: str, lease_stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, second = lease_stores
    await first.claim_due("a", 1, 60, FeedSet(URLS[:1]))
    assert await first.release("a", URLS[0], LATER)
    state = await first.feed_state(URLS[0])
    assert state is not None and state.next_poll == LATER
    assert await first.lease_owners() == {}
    assert await second.claim_due("b", 5, 60, FeedSet(URLS[:1])) == []  # not due until LATER
    await _sql(lease_schema_url, "UPDATE feeds SET next_poll = now() - interval '1 second'")
    assert [
        state.url for state, _ in await second.claim_due("b", 5, 60, FeedSet(URLS[:1]))
    ] == URLS[:1]


async def test_gone_and_unconfigured_feeds_are_not_claimed(
    lease_schema_url: str, lease_stores: tuple[PostgresStore, PostgresStore]
) -> None:
    first, _ = lease_stores
    await _sql(lease_schema_url, "UPDATE feeds SET disabled = 'gone (410)' WHERE url = %s", URLS[0])
    claimed = await first.claim_due("a", 50, 60, FeedSet(URLS[:3]))
    assert sorted(state.url for state, _ in claimed) == URLS[1:3]


@pytest.mark.parametrize("name", ["retention", "websub_renew"])
async def test_housekeeping_runs_on_one_daemon_at_a_time(
    lease_stores: tuple[PostgresStore, PostgresStore], name: str
) -> None:
    first, second = lease_stores
    async with first.exclusive(name) as mine:
        assert mine
        async with second.exclusive(name) as theirs:
            assert not theirs
        async with second.exclusive("other") as unrelated:
            assert unrelated
    async with second.exclusive(name) as theirs:
        assert theirs


async def test_housekeeping_skips_while_another_daemon_runs_it(
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = lease_stores
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
    lease_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, _ = lease_stores
    feeds = [FeedSettings(url=URLS[0], name="Leased"), FeedSettings(url=URLS[1], name="Idle")]
    await first.claim_due("<poller-a>", 1, 60, FeedSet(URLS[:1]))
    source = StatusSource(first, lambda: feeds, lambda: None, lambda: LATER)
    rows = {row.name: row.polled_by for row in (await read_status(source)).feeds}
    assert (rows["Leased"], rows["Idle"]) == ("<poller-a>", None)
    page = (await StatusPage(source).render()).decode()
    assert "polling: &lt;poller-a&gt;" in page  # escaped like every other value
    assert page.count("polling: ") == 1
