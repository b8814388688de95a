"""A daemon of one feed, built in the test's own process from a local feed server
(:func:`one_feed_daemon`), and run in the test's loop until its first poll is done
(:func:`run_until_first_poll`)."""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from monitor.config import FeedSettings, load_config
from monitor.daemon.daemon import Daemon
from monitor.ingest import PollOutcome
from tests.support.configs import JSON_LOGS_ANY_PORT, one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.processes import COLD_START_GUARD

FEED_PATH = "/feed.xml"
WIRE_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Harbour cranes idle after strike vote</title><guid>w-1</guid>
<link>https://wire.example/1</link></item></channel></rss>"""


@asynccontextmanager
async def one_feed_daemon(
    tmp_path: Path, feed: bytes | None = WIRE_FEED, *, parse_workers: int = 0
) -> AsyncIterator[tuple[Daemon, FeedServer]]:
    """A daemon built (not warmed) from ``one_feed_config`` with JSON logs and a listener
    on any port, and the feed server its one feed is on (serving ``feed`` at
    :data:`FEED_PATH`; None: nothing there). The test closes the daemon itself."""
    with FeedServer() as feeds:
        if feed is not None:
            feeds.add_feed(FEED_PATH, feed)
        config = one_feed_config(
            tmp_path, feeds.url(FEED_PATH), parse_workers=parse_workers, tables=JSON_LOGS_ANY_PORT
        )
        yield await Daemon.build(load_config(config), warm=False), feeds


async def run_until_first_poll(
    daemon: Daemon, before_poll: Callable[[], Awaitable[None]] | None = None
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """``daemon.run_forever`` started, returned once its first poll has finished
    (``before_poll`` runs as that poll starts): the stop event to end it and the task
    running it. A first poll that raises, or a ``run_forever`` that ends before it (its
    start raised), fails at once, not after the cold-start guard."""
    polled, raised = asyncio.Event(), list[Exception]()
    poll = daemon.poll

    async def first_poll(feed: FeedSettings) -> PollOutcome:
        try:
            if before_poll is not None:
                await before_poll()
            return await poll(feed)
        except Exception as err:
            raised.append(err)
            raise
        finally:
            polled.set()

    daemon.poll = first_poll  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run_forever(stop))
    await _polled_or_ended(polled, running)
    if raised:
        raise AssertionError("the first poll raised") from raised[0]
    return stop, running


async def _polled_or_ended(polled: asyncio.Event, running: asyncio.Task[None]) -> None:
    """Until ``polled`` is set; ``running``'s error (or an AssertionError) if it ends first,
    a TimeoutError after ``COLD_START_GUARD``."""
    waiting = asyncio.ensure_future(polled.wait())
    # Across the warm-up and the parse workers' start: a fork server loading the models.
    await asyncio.wait((waiting, running), timeout=COLD_START_GUARD, return_when=FIRST_COMPLETED)
    waiting.cancel()
    if polled.is_set():
        return
    if running.done():
        running.result()  # its error, if it raised
        raise AssertionError("run_forever returned before its first poll")
    raise TimeoutError(f"no first poll within {COLD_START_GUARD:.0f} s")
