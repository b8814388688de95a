"""Stopping: a closing step that fails is logged by name and the steps after it still
run, as a step that hangs is given up on (test_shutdown_hangs). A real daemon in this
process: a SQLite store, a local feed server; the failure is the story snapshot's save
raising as a store gone from under it would."""

from __future__ import annotations

import asyncio
from pathlib import Path

from structlog.testing import capture_logs

from monitor.config import load_config
from monitor.daemon.daemon import Daemon
from tests.support.configs import JSON_LOGS_ANY_PORT, one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.first_poll import run_until_first_poll
from tests.support.processes import HANG_GUARD

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Harbour cranes idle after strike vote</title><guid>w-1</guid>
<link>https://wire.example/1</link></item></channel></rss>"""


async def test_a_failing_closing_step_is_logged_and_the_later_ones_still_run(
    tmp_path: Path,
) -> None:
    with FeedServer() as feeds:
        feeds.add_feed("/feed.xml", FEED)
        config = one_feed_config(tmp_path, feeds.url("/feed.xml"), tables=JSON_LOGS_ANY_PORT)
        daemon = await Daemon.build(load_config(config), warm=False)
        surges_saved: list[bool] = []

        async def snapshot_fails() -> None:
            raise OSError("disk I/O error")

        async def save_surges() -> None:
            surges_saved.append(True)

        daemon.save_stories = snapshot_fails  # type: ignore[method-assign]
        daemon.save_surges = save_surges  # type: ignore[method-assign]
        stop, running = await run_until_first_poll(daemon)
        with capture_logs() as logs:
            stop.set()
            await asyncio.wait_for(running, HANG_GUARD)  # no OSError out of the stop
        saved_by_the_stop = list(surges_saved)
        await daemon.close()

    failed = [(e["step"], e["error"]) for e in logs if e["event"] == "shutdown_step_failed"]
    assert failed == [("story_snapshot", "disk I/O error")]
    assert saved_by_the_stop == [True]  # the step after the failed one ran
    assert "daemon_stopped" in [e["event"] for e in logs]
