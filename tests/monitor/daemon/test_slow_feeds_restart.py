"""A feed whose last poll timed out is known slow after a restart (or when a reload adds
it): its host's lane sends it to a slow place from its first poll, so it never holds a
regular slot (decision 0025).
Against a real loopback server whose hanging routes block until the test ends, with a
real SQLite store carried from one daemon to the next."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.records import PollStatus
from tests.support.feedserver import FeedServer, RecordedRequest, Reply

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
HANGING = ("/hang/0", "/hang/1")
GOOD = "/good"
WAIT_SECONDS = 10.0  # a guard against a hang, never reached when the test passes
# Before the restart the hanging feeds time out at once (no 30 s wait for the test); after
# it, nothing moves a hanging request out of its slot but the stored state: a request is
# found slow only after an hour, and the read timeout is the default.
BEFORE_RESTART = "read_timeout = 0.1\nhost_slow_after = 3600"
AFTER_RESTART = "host_slow_after = 3600"


def config(
    tmp_path: Path, server: FeedServer, daemon: str, paths: tuple[str, ...] = (*HANGING, GOOD)
) -> Path:
    """Feeds on one host (two hanging, one good by default): two slots, two slow places."""
    path = tmp_path / "ww.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{server.url(p)}"\n' for p in paths)
    path.write_text(
        f"[daemon]\njitter = 0\nhost_spacing = 0\nparse_workers = 0\nhost_concurrency = 2\n"
        f'host_slow_limit = 2\n{daemon}\n[store]\npath = "{tmp_path / "ww.db"}"\n{feeds}'
        '[notifiers.out]\ntype = "console"\n'
        '[entities.iran]\nentries = [{ name = "Iran" }]\n'
        '[[rules]]\nname = "iran"\nall_of = ["iran"]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:

        def hanging(_request: RecordedRequest) -> Reply:
            srv.release.wait()  # set when the test ends
            return Reply(200, {"Content-Type": "application/rss+xml"}, RSS)

        for path in HANGING:
            srv.add_route(path, hanging)
        srv.add_feed(GOOD, RSS)
        yield srv


async def test_feeds_whose_last_poll_timed_out_start_slow_after_a_restart(
    tmp_path: Path, server: FeedServer
) -> None:
    """Restarted, the daemon polls the good feed while both hanging feeds are open: they
    took the host's slow places straight away, not its two slots, and answer there once
    the server lets them."""
    before = await Daemon.build(load_config(config(tmp_path, server, BEFORE_RESTART)))
    try:
        await before.run_once()
        stored = {state.url: state for state in await before.store.feed_states()}
    finally:
        await before.close()
    assert all((stored[server.url(p)].last_error or "").startswith("timeout") for p in HANGING)

    after = await Daemon.build(load_config(config(tmp_path, server, AFTER_RESTART)))
    try:
        polling = asyncio.create_task(after.run_once())
        good_fetched_again = await asyncio.to_thread(server.wait_handled, 2, WAIT_SECONDS)
        hanging_open = not polling.done()
        server.release.set()
        outcomes = await asyncio.wait_for(polling, WAIT_SECONDS)
    finally:
        await after.close()
    assert good_fetched_again
    assert hanging_open
    assert [outcome.status for outcome in outcomes[:2]] == [PollStatus.OK] * 2  # not ended


async def test_feeds_a_reload_adds_start_slow_when_their_last_poll_timed_out(
    tmp_path: Path, server: FeedServer
) -> None:
    """Hanging feeds dropped from the config, then added back by a reload, are known slow
    from their stored state: the good feed is polled while both are open."""
    before = await Daemon.build(load_config(config(tmp_path, server, BEFORE_RESTART, HANGING)))
    try:
        await before.run_once()  # both time out; the good feed is not configured yet
    finally:
        await before.close()
    daemon = await Daemon.build(load_config(config(tmp_path, server, AFTER_RESTART, (GOOD,))))
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run_forever(stop))
    try:
        # Served once by the schedule: run_forever is under way, a reload reschedules.
        assert await asyncio.to_thread(server.wait_handled, 1, WAIT_SECONDS)
        config(tmp_path, server, AFTER_RESTART)
        assert (await daemon.reloader.reload()).ok
        feeds = {feed.url: feed for feed in daemon.config.feeds}
        hanging = [asyncio.create_task(daemon.poll(feeds[server.url(p)])) for p in HANGING]
        good = await asyncio.wait_for(daemon.poll(feeds[server.url(GOOD)]), WAIT_SECONDS)
        hanging_open = not any(task.done() for task in hanging)
        server.release.set()
        await asyncio.wait_for(asyncio.gather(*hanging), WAIT_SECONDS)
    finally:
        server.release.set()
        stop.set()
        await running
        await daemon.close()
    assert good.status in {PollStatus.OK, PollStatus.UNCHANGED}  # its first poll may settle
    assert hanging_open
