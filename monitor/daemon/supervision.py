"""Background tasks that must not die silently: a crash is logged and the task restarted.

A task the daemon starts with ``asyncio.create_task`` and awaits only at shutdown hides
its exception until then: the work it did (sending alerts the moment they are queued)
just stops, and the exception surfaces as a traceback at exit. :func:`supervised` runs
such a task's body again after each crash, after a pause that doubles while it keeps
crashing (up to ``MAX_RESTART_DELAY``), until the body returns or ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger("monitor.daemon.supervision")

RESTART_DELAY = 1.0  # seconds before the first restart
MAX_RESTART_DELAY = 60.0  # the pause stops doubling here; a run this long resets it


async def supervised(
    name: str,
    body: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    restart_delay: float = RESTART_DELAY,
) -> None:
    """Run ``body()`` until it returns; after a crash, log it and run it again."""
    loop = asyncio.get_running_loop()
    delay = restart_delay
    while True:
        started = loop.time()
        try:
            await body()
            return
        except Exception:
            if loop.time() - started >= MAX_RESTART_DELAY:
                delay = restart_delay  # it ran a good while: a new crash, not the same one
            log.exception("background_task_crashed", task=name, restart_in=delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        log.info("background_task_restarted", task=name)
        delay = min(delay * 2, MAX_RESTART_DELAY)


async def unless_stopped(task: asyncio.Future[None], stop: asyncio.Event) -> bool:
    """Wait for ``task`` unless ``stop`` is set first: whether it finished (its error, if
    any, raised). The caller cancels it when not."""
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not task.done():
        return False
    await task
    return True
