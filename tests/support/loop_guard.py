"""The suite's event loops close with a guard (the open difference of decision 0079).

uvloop's ``close()`` runs libuv's loop until nothing of libuv's own is pending, with no
bound. Once (a machine at load 20-35) a test that failed and left a daemon's parse
workers running was followed by a close that waited in ``epoll`` for good, and the run
hung with no word of why. So, for every loop the suite makes (:func:`guarded`):

- each :class:`~monitor.feeds.ParsePool` made while the loop runs is remembered;
- at ``close()``, pools of that loop still open with workers alive are shut down (their
  workers killed, as the daemon's stop does) and named in :class:`LeftOpenError`, which
  the test's teardown fails with;
- the close itself gets :data:`CLOSE_GUARD` seconds: past them, what was left open and
  every thread's stack go to stderr and the run ends with status 1, rather than hang.
"""

from __future__ import annotations

import asyncio
import faulthandler
import sys
import weakref
from collections.abc import Callable
from typing import Any

import uvloop

from monitor.feeds import ParsePool

__all__ = ["CLOSE_GUARD", "LeftOpenError", "guarded"]

CLOSE_GUARD = 120.0  # seconds a loop's close may take: a hang guard only


class LeftOpenError(RuntimeError):
    """A test ended with parse workers of its daemon running (``daemon.close()`` not
    reached): they are stopped now; the test fails with their names."""


class _Guarded:
    """A loop that remembers the parse pools made on it and closes with a bound."""

    def opened(self, pool: ParsePool) -> None:
        self.__dict__.setdefault("_pools", weakref.WeakSet()).add(pool)

    def close(self) -> None:
        left = _left_open(self.__dict__.get("_pools", ()))
        for pool in left:
            pool.shutdown(wait=False, cancel_futures=True)
        names = "; ".join(f"parse pool with workers {pids}" for pids in left.values())
        sys.stderr.flush()
        faulthandler.dump_traceback_later(CLOSE_GUARD, exit=True)
        try:
            if left:  # said before the close: a close that hangs is then explained
                print(f"event loop closing with {names} left open", file=sys.stderr)
            super().close()  # type: ignore[misc]
        finally:
            faulthandler.cancel_dump_traceback_later()
        if left:
            raise LeftOpenError(f"the test left open: {names}; close its daemon")


def _left_open(pools: Any) -> dict[ParsePool, tuple[int, ...]]:
    return {pool: pids for pool in list(pools) if not pool._closed and (pids := pool.worker_pids())}


class _GuardedUvloop(_Guarded, uvloop.Loop):  # type: ignore[misc]
    __module__ = uvloop.Loop.__module__  # what tells the daemon which loop runs it


class _GuardedAsyncio(_Guarded, asyncio.SelectorEventLoop):
    __module__ = asyncio.SelectorEventLoop.__module__


def guarded(kind: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """A factory of guarded loops of ``kind`` ("uvloop" or "asyncio")."""
    return _GuardedUvloop if kind == "uvloop" else _GuardedAsyncio


def _remember(init: Callable[..., None]) -> Callable[..., None]:
    def remembering(pool: ParsePool, *args: Any, **kwargs: Any) -> None:
        init(pool, *args, **kwargs)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # made outside a loop: nothing closes it on one
            return
        if isinstance(loop, _Guarded):
            loop.opened(pool)

    return remembering


ParsePool.__init__ = _remember(ParsePool.__init__)  # type: ignore[method-assign]
