"""Stopping: a closing step that fails is logged by name and the steps after it still
run, as a step that hangs is given up on (test_shutdown_hangs). A real daemon in this
process: a SQLite store, a local feed server; the failure is the story snapshot's save
raising as a store gone from under it would."""

from __future__ import annotations

import asyncio
from pathlib import Path

from structlog.testing import capture_logs

from tests.support.first_poll import one_feed_daemon, run_until_first_poll
from tests.support.processes import HANG_GUARD


async def test_a_failing_closing_step_is_logged_and_the_later_ones_still_run(
    tmp_path: Path,
) -> None:
    async with one_feed_daemon(tmp_path) as (daemon, _):
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
