"""A running daemon beside a receiver that hangs: other notifiers' alerts and reloads do
not wait for it, its send in flight is neither lost nor repeated, and each notifier's
drain wakes itself for its holds.

Real daemon (its wake-up loop and scheduler in this event loop), real feed server, real
webhook receivers on loopback, real SQLite. The hanging receiver answers only when the
test releases it, at the end: nothing here depends on how long anything takes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from tests.support.daemon_process import HANG_GUARD
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver, Response


def _rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><title>{headline}</title><guid>{guid}</guid>"
        f"<link>https://news.example/{guid}</link></item>"
        for headline, guid in items
    )
    channel = f"<channel><title>Harbour Wire</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


FIRST = ("Crane collapse shuts northern harbour", "a-1")
SECOND = ("Second crane falls", "a-2")


@dataclass
class World:
    """A feed, a receiver that hangs until ``gate`` is set, a healthy one, and the config."""

    path: Path
    feeds: FeedServer
    gate: threading.Event
    slow: HttpReceiver
    fast: HttpReceiver

    def write(self, slow_url: str, fast_url: str, extra: str = "") -> None:
        self.path.write_text(f"""
[daemon]
jitter = 0
host_spacing = 0
parse_workers = 0
dispatch_interval = 3600
shutdown_timeout = 10
[listener]
enabled = false
[store]
path = "{self.path.parent / "ww.db"}"
[notifiers.slow]
type = "webhook"
url = "{slow_url}"
timeout = 120
[notifiers.fast]
type = "webhook"
url = "{fast_url}"
[[feeds]]
url = "{self.feeds.url("/a.xml")}"
[[rules]]
name = "cranes"
any_of = [{{ terms = ["crane"] }}]
{extra}
""")


@pytest.fixture(name="world")
def _world(tmp_path: Path) -> Iterator[World]:
    gate = threading.Event()
    with (
        FeedServer() as feeds,
        HttpReceiver(default=Response(gate=gate)) as slow,
        HttpReceiver() as fast,
    ):
        feeds.add_feed("/a.xml", _rss(FIRST), etag='"a1"')
        world = World(tmp_path / "ww.toml", feeds, gate, slow, fast)
        world.write(slow.url("/slow"), fast.url("/fast"))
        yield world


@asynccontextmanager
async def _running(world: World) -> AsyncIterator[Daemon]:
    daemon = await Daemon.build(load_config(world.path))
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run_forever(stop))
    try:
        yield daemon
    finally:
        world.gate.set()
        stop.set()
        await running
        await daemon.close()


@pytest.fixture(name="daemon")
async def _daemon(world: World) -> AsyncIterator[Daemon]:
    """A running daemon whose first poll has sent the first alert: the fast receiver has
    it, the slow one holds it."""
    async with _running(world) as daemon:
        await _received(world.fast, 1)
        await _received(world.slow, 1)
        yield daemon


async def _received(receiver: HttpReceiver, count: int) -> list[str]:
    """The titles of the first ``count`` requests, once they have arrived."""
    requests = await asyncio.to_thread(receiver.wait_for, count, HANG_GUARD)
    return [request.json()["title"] for request in requests]


async def _second_alert(world: World, daemon: Daemon) -> None:
    world.feeds.add_feed("/a.xml", _rss(FIRST, SECOND), etag='"a2"')
    assert (await daemon.poll(daemon.config.feeds[0])).alerts == 1


async def test_a_hanging_receiver_does_not_delay_another_notifiers_alert(
    world: World, daemon: Daemon
) -> None:
    await _second_alert(world, daemon)

    assert await _received(world.fast, 2) == [FIRST[0], SECOND[0]]
    assert len(world.slow.requests) == 1  # still holding the first
    world.gate.set()
    assert await _received(world.slow, 2) == [FIRST[0], SECOND[0]]


async def test_a_reload_beside_a_hanging_send_neither_waits_nor_loses_nor_repeats(
    world: World, daemon: Daemon
) -> None:
    """Both notifiers move to new addresses while the slow one's send hangs. The reload
    returns at once; the healthy notifier sends at its new address; the hanging send
    finishes on the old channel and is recorded, and the rest goes to the new one."""
    with HttpReceiver() as slow_moved, HttpReceiver() as fast_moved:
        world.write(slow_moved.url("/slow"), fast_moved.url("/fast"))

        result = await asyncio.wait_for(daemon.reloader.reload(), HANG_GUARD)

        assert result.ok, result.errors
        assert result.changes is not None
        assert sorted(result.changes.notifiers_changed) == ["fast", "slow"]
        await _second_alert(world, daemon)
        assert await _received(fast_moved, 1) == [SECOND[0]]
        assert len(world.slow.requests) == 1 and slow_moved.requests == []
        world.gate.set()
        assert await _received(slow_moved, 1) == [SECOND[0]]
        assert await daemon.dispatch() is not None  # every drain idle: outcomes recorded
        assert await daemon.store.delivery_counts() == {"sent": 4}
        assert (len(world.slow.requests), len(slow_moved.requests)) == (1, 1)
    assert [request.json()["title"] for request in world.fast.requests] == [FIRST[0]]


async def test_a_drain_wakes_itself_when_its_hold_ends(world: World) -> None:
    """The fast notifier groups alerts for 0.2 s: nothing but its drain's own wake-up sends
    the alert it held (no new alert comes, no periodic sweep within the hour), while the
    slow notifier hangs."""
    world.write(world.slow.url("/slow"), world.fast.url("/fast"),
                "[alerting.routes.fast]\ngroup_window = 0.2")  # fmt: skip
    async with _running(world) as daemon:
        (sent,) = await asyncio.to_thread(world.fast.wait_for, 1, HANG_GUARD)
        assert daemon.dispatcher.metrics.deferrals == {("fast", "group"): 1}
        assert len(world.slow.requests) <= 1  # still holding its first, if it has it yet
    assert sent.json()["title"] == FIRST[0]  # a group of one goes as the alert itself
