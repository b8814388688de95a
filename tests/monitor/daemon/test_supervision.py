"""A background task that crashes is logged and started again, not left dead."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from monitor.daemon.supervision import supervised


async def test_a_crash_is_logged_and_the_task_restarted() -> None:
    runs: list[int] = []
    stop = asyncio.Event()

    async def body() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError(f"crash {len(runs)}")

    with capture_logs() as logs:
        await supervised("dispatch_on_wake", body, stop, restart_delay=0)
    assert runs == [0, 1, 2]  # ran again after each crash, until it returned
    crashes = [entry for entry in logs if entry["event"] == "background_task_crashed"]
    assert [entry["task"] for entry in crashes] == ["dispatch_on_wake"] * 2
    assert all(entry["log_level"] == "error" and entry["exc_info"] for entry in crashes)
    assert [entry["event"] for entry in logs].count("background_task_restarted") == 2


async def test_stop_ends_the_pause_before_a_restart() -> None:
    """Shutdown does not wait out the restart delay (an hour here), nor restart the task."""
    stop = asyncio.Event()
    runs: list[int] = []

    async def body() -> None:
        runs.append(1)
        stop.set()  # the daemon is stopping as the task crashes
        raise RuntimeError("crash")

    with capture_logs():
        await supervised("dispatch_on_wake", body, stop, restart_delay=3600)
    assert runs == [1]
