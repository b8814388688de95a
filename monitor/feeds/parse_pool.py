"""The daemon's parse processes: a forkserver pool whose workers live no longer than it.

A worker blocks reading its task queue, and holds both ends of that queue itself, so the
daemon's death alone never wakes it; the fork server and resource tracker in turn stay up
while a worker holds their pipes. So each worker is handed the read end of a *lifeline*,
a pipe whose only write end stays in the daemon and is never written: the kernel closes
it however the daemon ends (``kill -9`` included), the worker's read sees end-of-file and
the worker exits, and the fork server and tracker follow (docs/decisions/0022).

Workers also ignore SIGINT. Ctrl-C in a terminal signals the whole process group; the
daemon then stops the pool itself, and a worker interrupted while waiting for work would
only print a ``KeyboardInterrupt`` traceback.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection

__all__ = ["ORPHANED_EXIT_STATUS", "ParsePool"]

ORPHANED_EXIT_STATUS = 3  # a worker whose daemon is gone; nobody is left to read it
_PRELOAD = ["monitor.feeds.parse_new"]  # the parser, normalise and their imports


class ParsePool(ProcessPoolExecutor):
    """``workers`` forkserver processes for :func:`monitor.feeds.parser.parse_feed`."""

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("forkserver")
        # The fork server imports the parser once; every worker forked from it starts warm.
        context.set_forkserver_preload(_PRELOAD)
        # Pipe fds are close-on-exec and the fork server gets only the fds it is passed:
        # the write end stays in this process alone.
        self._lifeline, self._lifeline_end = context.Pipe(duplex=False)
        super().__init__(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self._lifeline,),
        )

    def worker_pids(self) -> tuple[int, ...]:
        """The worker processes running now (started on demand, up to ``workers``)."""
        # ProcessPoolExecutor keeps them by pid and offers no public view.
        return tuple(sorted(self._processes or ()))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:  # every worker has exited; without wait they may still be finishing tasks
            self._lifeline.close()
            self._lifeline_end.close()


def _start_worker(lifeline: Connection) -> None:
    """First thing in each worker: leave Ctrl-C to the daemon, and exit with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch = threading.Thread(
        target=_exit_when_orphaned, args=(lifeline,), name="lifeline", daemon=True
    )
    watch.start()


def _exit_when_orphaned(lifeline: Connection) -> None:
    lifeline.poll(None)  # nothing is ever sent: readable means end-of-file
    os._exit(ORPHANED_EXIT_STATUS)  # mid-parse too: its result has nowhere to go
