"""A served world on its own event loop in a thread, for synchronous clients (a browser
driver, a property-based HTTP client) in tests that run no event loop themselves."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

STARTUP_GUARD = 120  # seconds: a guard against a hung start, not a timing assertion


class Served(Protocol):
    @property
    def url(self) -> str: ...


@contextlib.contextmanager
def serve_world_in_thread(
    make_world: Callable[[], AbstractAsyncContextManager[Served]], name: str
) -> Iterator[str]:
    """Runs ``make_world()`` on a new event loop in a thread named ``name``; yields its
    URL, stops it on exit and re-raises whatever failed inside."""
    ready: list[str] = []
    started, stop = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    async def serve() -> None:
        async with make_world() as served:
            ready.append(served.url)
            started.set()
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as err:
            failure.append(err)
        finally:
            started.set()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    started.wait(STARTUP_GUARD)
    try:
        if failure:
            raise failure[0]
        yield ready[0]
    finally:
        stop.set()
        thread.join()
    if failure:
        raise failure[0]
