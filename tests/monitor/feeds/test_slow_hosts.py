"""Hanging feeds on a host do not starve its healthy feeds: against a real loopback server
whose hanging routes block until the test ends, with the gate's ``slow_after`` passing
only when the test says so (an injected sleep), never by waiting for it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from monitor.feeds.errors import FetchError
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.health import after_failure, after_success
from monitor.feeds.intervals import IntervalPolicy
from monitor.feeds.politeness import HostGate
from monitor.records import FeedState, FetchResult
from tests.support.feedserver import FeedServer, RecordedRequest, Reply

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
WAIT_SECONDS = 10.0  # a guard against a hang, never reached when the test passes


class Hanging:
    """A route that answers only once ``release`` is set (the server's, at the test's end)."""

    def __init__(self, release: threading.Event) -> None:
        self._release = release
        self._changed = threading.Condition()
        self.arrived = 0

    def __call__(self, _request: RecordedRequest) -> Reply:
        with self._changed:
            self.arrived += 1
            self._changed.notify_all()
        self._release.wait()
        return Reply(200, {"Content-Type": "application/rss+xml"}, RSS)

    def wait_arrived(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.arrived >= count, WAIT_SECONDS)


class SlowAfter:
    """The gate's sleep: each wait of ``slow_after`` ends when :meth:`elapse` says so."""

    def __init__(self) -> None:
        self._waits: list[asyncio.Future[None]] = []
        self._changed = asyncio.Condition()

    async def sleep(self, _seconds: float) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waits.append(done)
        async with self._changed:
            self._changed.notify_all()
        await done

    def _pending(self) -> int:
        return sum(not wait.done() for wait in self._waits)

    async def elapse_when_waiting(self, count: int) -> None:
        """Once ``count`` requests are under way and timed, their ``slow_after`` passes."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self._pending() >= count), WAIT_SECONDS
            )
        for wait in self._waits:
            if not wait.done():
                wait.set_result(None)


@dataclass
class Host:
    """One loopback host serving ten hanging feeds and one good feed."""

    server: FeedServer
    hanging: Hanging
    fetcher: Fetcher
    slow_after: SlowAfter
    started: list[asyncio.Task[FetchResult]] = field(default_factory=list)

    def start(self, path: str) -> asyncio.Task[FetchResult]:
        task = asyncio.create_task(self.fetcher.fetch(self.server.url(path)))
        self.started.append(task)
        return task

    def hang(self, index: int) -> asyncio.Task[FetchResult]:
        return self.start(f"/hang/{index}")

    async def good(self) -> FetchResult:
        return await asyncio.wait_for(self.fetcher.fetch(self.server.url("/good")), WAIT_SECONDS)

    async def arrived(self, count: int) -> None:
        assert await asyncio.to_thread(self.hanging.wait_arrived, count)

    async def first_two_moved_to_slow_places(self) -> list[asyncio.Task[FetchResult]]:
        first = [self.hang(0), self.hang(1)]
        await self.arrived(2)  # the host's two slots are held by hanging requests
        await self.slow_after.elapse_when_waiting(2)
        return first


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
async def host(server: FeedServer) -> AsyncIterator[Host]:
    hanging = Hanging(server.release)
    for index in range(10):
        server.add_route(f"/hang/{index}", hanging)
    server.add_feed("/good", RSS)
    slow_after = SlowAfter()
    gate = HostGate(concurrency=2, spacing=0.0, slow_after=5.0, slow_limit=2,
                    sleep=slow_after.sleep)  # fmt: skip
    async with Fetcher(concurrency=50, host_gate=gate) as fetcher:
        world = Host(server, hanging, fetcher, slow_after)
        yield world
        for task in world.started:
            task.cancel()  # the requests still hanging; the server releases them on close
        await asyncio.gather(*world.started, return_exceptions=True)


async def outcome(task: asyncio.Task[FetchResult]) -> FetchResult | BaseException:
    results = await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), WAIT_SECONDS)
    return results[0]


class TestSlowRequestsLeaveTheirSlots:
    async def test_the_good_feed_is_fetched_while_hanging_requests_stay_open(
        self, host: Host
    ) -> None:
        """Two hanging requests hold both of the host's slots; once past slow_after they
        move to slow places, and the good feed is fetched, three times, while they hang."""
        first = await host.first_two_moved_to_slow_places()
        for _ in range(3):
            assert (await host.good()).status == 200
        assert not any(task.done() for task in first)

    async def test_slow_requests_beyond_the_slow_places_are_ended(self, host: Host) -> None:
        """With both slow places taken, a request found slow is ended as a timeout (its
        feed backs off) instead of keeping a slot; the requests that hang longest stay."""
        first = await host.first_two_moved_to_slow_places()
        later = [host.hang(index) for index in range(2, 10)]
        for _ in range(4):  # two at a time take the slots, and are ended past slow_after
            await host.slow_after.elapse_when_waiting(2)
        errors = [await outcome(task) for task in later]
        assert all(isinstance(error, FetchError) and error.kind == "timeout" for error in errors)
        assert all(isinstance(error, FetchError) and error.slow for error in errors)  # stored
        assert "2 slow requests to 127.0.0.1 were open" in str(errors[0])
        assert not any(task.done() for task in first)
        assert (await host.good()).status == 200

    async def test_feeds_found_slow_wait_for_slow_places_not_slots(self, host: Host) -> None:
        """Polled again, feeds that were ended wait for a slow place (both held by hanging
        requests): they are not sent, and the good feed still finds the host's slots free."""
        await host.first_two_moved_to_slow_places()
        ended = [host.hang(2), host.hang(3)]
        await host.arrived(4)  # sent before they are ended, on either event loop
        await host.slow_after.elapse_when_waiting(2)
        assert all(isinstance(error, FetchError) for error in [await outcome(t) for t in ended])
        arrived = host.hanging.arrived
        again = [host.hang(2), host.hang(3)]
        for _ in range(3):
            assert (await host.good()).status == 200
        assert not any(task.done() for task in again)
        assert host.hanging.arrived == arrived

    async def test_a_prompt_feed_is_served_before_feeds_not_yet_known(self, host: Host) -> None:
        """The good feed, known to answer promptly, takes the first slot that frees up,
        ahead of hanging feeds that asked earlier but have not been fetched yet."""
        assert (await host.good()).status == 200
        first = [host.hang(0), host.hang(1)]
        await host.arrived(2)
        queued = [host.hang(2), host.hang(3)]
        good = asyncio.create_task(host.good())
        await host.slow_after.elapse_when_waiting(2)  # the first two move to slow places
        assert (await good).status == 200
        assert not any(task.done() for task in first + queued)

    async def test_a_slow_feed_that_answers_promptly_again_gets_a_slot_again(
        self, host: Host, server: FeedServer
    ) -> None:
        """A feed found slow, answering within slow_after in its slow place the next time,
        takes an ordinary slot after that, even with every slow place held."""
        unstuck = threading.Event()

        def flaky(_request: RecordedRequest) -> Reply:
            unstuck.wait()
            return Reply(200, {"Content-Type": "application/rss+xml"}, RSS)

        server.add_route("/flaky", flaky)
        url = server.url("/flaky")
        stuck = host.start("/flaky")
        await host.slow_after.elapse_when_waiting(1)  # moved to a slow place: found slow
        unstuck.set()
        assert (await outcome(stuck)).status == 200  # type: ignore[union-attr]
        assert (await host.fetcher.fetch(url)).status == 200  # in a slow place, promptly
        await host.first_two_moved_to_slow_places()
        again = await asyncio.wait_for(host.fetcher.fetch(url), WAIT_SECONDS)
        assert again.status == 200


class TestSlowFeedsKnownFromTheirStoredState:
    """After a restart the gate learns slow feeds from their stored state (the daemon calls
    ``Fetcher.remember_slow``), not from a first round that holds the host's slots."""

    def remember_slow(self, host: Host, *paths: str) -> None:
        host.fetcher.remember_slow(FeedState(url=host.server.url(p), slow=True) for p in paths)

    async def test_a_feed_stored_as_slow_takes_a_slow_place_straight_away(self, host: Host) -> None:
        """Hanging feeds stored as slow go to the slow places (two are sent, the next two
        wait for one), and the good feed finds both slots free: no ``slow_after`` passes."""
        self.remember_slow(host, *(f"/hang/{index}" for index in range(4)))
        first = [host.hang(0), host.hang(1)]
        await host.arrived(2)
        queued = [host.hang(2), host.hang(3)]
        for _ in range(3):
            assert (await host.good()).status == 200
        assert not any(task.done() for task in first + queued)
        assert host.hanging.arrived == 2

    async def test_a_feed_found_prompt_here_is_not_made_slow_by_its_stored_state(
        self, host: Host
    ) -> None:
        """What this process learnt wins over a stored state (a reload seeding again): the
        good feed, prompt here, keeps taking a slot with both slow places held."""
        assert (await host.good()).status == 200
        self.remember_slow(host, "/good", "/hang/0", "/hang/1")
        first = [host.hang(0), host.hang(1)]
        await host.arrived(2)
        assert (await host.good()).status == 200
        assert not any(task.done() for task in first)

    async def test_a_slow_success_is_marked_slow(self, host: Host, server: FeedServer) -> None:
        """A fetch that answered after ``slow_after`` says so, for its feed's stored state."""
        unstuck = threading.Event()

        def late(_request: RecordedRequest) -> Reply:
            unstuck.wait()
            return Reply(200, {"Content-Type": "application/rss+xml"}, RSS)

        server.add_route("/late", late)
        task = host.start("/late")
        await host.slow_after.elapse_when_waiting(1)
        unstuck.set()
        late_result = await outcome(task)
        assert isinstance(late_result, FetchResult) and late_result.slow
        assert not (await host.good()).slow


POLICY = IntervalPolicy(default=900.0, adaptive=False, minimum=60.0, maximum=3600.0,
                        backoff_base=60.0, backoff_max=3600.0)  # fmt: skip
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def prompt_answer(state: FeedState) -> FeedState:
    return after_success(state, FetchResult("u", "u", 304, b""), None, body_hash=None,
                         now=NOW, policy=POLICY)  # fmt: skip


def slow_answer(state: FeedState) -> FeedState:
    return after_success(state, FetchResult("u", "u", 304, b"", slow=True), None,
                         body_hash=None, now=NOW, policy=POLICY)  # fmt: skip


def failure(*, slow: bool) -> Callable[[FeedState], FeedState]:
    def failed(state: FeedState) -> FeedState:
        return after_failure(state, "timeout: …" if slow else "connect: refused", status=None,
                             retry_after=None, now=NOW, policy=POLICY, slow=slow)  # fmt: skip

    return failed


@pytest.mark.parametrize(
    ("polls", "stored_slow"),
    [
        ([slow_answer], True),
        ([failure(slow=True)], True),
        ([failure(slow=False)], False),
        ([slow_answer, prompt_answer], False),
        ([failure(slow=True), failure(slow=False)], False),
        ([prompt_answer, failure(slow=True)], True),
    ],
)
def test_the_stored_state_says_whether_the_last_fetch_was_slow(
    polls: list[Callable[[FeedState], FeedState]], stored_slow: bool
) -> None:
    """What ``Fetcher.remember_slow`` reads after a restart: the last poll's, only."""
    state = FeedState(url="u")
    for poll in polls:
        state = poll(state)
    assert state.slow is stored_slow
