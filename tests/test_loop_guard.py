"""The suite's loops close with a guard (tests/support/loop_guard.py): parse workers a
test left running are stopped and named in the error the test fails with; a pool
closed as the daemon closes it passes unremarked."""

from __future__ import annotations

import os
import select

import pytest

from monitor.feeds import ParsePool
from tests.support.loop_guard import LeftOpenError, guarded
from tests.support.processes import HANG_GUARD


@pytest.mark.parametrize("kind", ["uvloop", "asyncio"])
def test_a_loop_closed_with_parse_workers_running_stops_and_names_them(kind: str) -> None:
    loop = guarded(kind)()

    async def leak() -> tuple[int, ...]:
        pool = ParsePool(1)
        await pool.start_workers()
        assert (await loop.run_in_executor(pool, os.getpid)) in pool.worker_pids()
        return pool.worker_pids()  # and no pool.shutdown(): a test failing before it

    pids = loop.run_until_complete(leak())
    with pytest.raises(LeftOpenError, match=rf"parse pool with workers \({pids[0]},\)"):
        loop.close()
    assert loop.is_closed()
    assert all(_ends(pid) for pid in pids)


def test_a_pool_shut_down_before_the_close_is_not_remarked() -> None:
    loop = guarded("uvloop")()

    async def used() -> None:
        pool = ParsePool(1)
        await pool.start_workers()
        pool.shutdown(wait=False, cancel_futures=True)

    loop.run_until_complete(used())
    loop.close()
    assert loop.is_closed()


def _ends(pid: int) -> bool:
    """Whether the process ends within the hang guard (waited for on a pidfd)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], HANG_GUARD)
    finally:
        os.close(fd)
    return bool(readable)
