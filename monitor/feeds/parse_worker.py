"""What runs inside a parse worker (:mod:`monitor.feeds.parse_pool`): its warmers, then
the tasks on its own pipe, one at a time, until the daemon says stop or is gone."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

__all__ = ["ORPHANED_EXIT_STATUS", "Warmer", "work"]

ORPHANED_EXIT_STATUS = 3  # a worker whose daemon is gone; nobody is left to read it

Warmer = Callable[[], object]  # a module-level function a worker runs once at its start


def work(
    tasks: Connection, lifeline: Connection, ready: Connection, warmers: tuple[Warmer, ...]
) -> None:
    """A worker: leave Ctrl-C to the daemon and exit with it; run the warmers, say so on
    ``ready``; then answer each task on ``tasks`` with (True, result) or (False, error)
    until told to stop (``None``) or the pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch = threading.Thread(
        target=_exit_when_orphaned, args=(lifeline,), name="lifeline", daemon=True
    )
    watch.start()
    for warm in warmers:
        warm()
    ready.send(os.getpid())  # a few bytes: one atomic write, whatever the other workers do
    while (answer := _answer(tasks)) is not None:
        try:
            tasks.send(answer)
        except Exception as err:  # its result or error cannot be pickled
            tasks.send((False, RuntimeError(f"unpicklable answer: {type(err).__name__}: {err}")))


def _answer(tasks: Connection) -> tuple[bool, object] | None:
    """The next task's answer; None: stop."""
    try:
        message = tasks.recv()
    except EOFError:
        return None
    except Exception as err:  # a task that cannot be unpickled here
        return False, err
    if message is None:
        return None
    fn, args, kwargs = message
    try:
        return True, fn(*args, **kwargs)
    except BaseException as err:  # handed to the daemon, as an executor does
        return False, err


def _exit_when_orphaned(lifeline: Connection) -> None:
    lifeline.poll(None)  # nothing is ever sent: readable means end-of-file
    os._exit(ORPHANED_EXIT_STATUS)  # mid-parse too: its result has nowhere to go
