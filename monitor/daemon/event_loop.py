"""The daemon's event loop: uvloop where it is installed (Linux and macOS, a dependency
there), asyncio's own elsewhere or when ``daemon.event_loop = "asyncio"`` (decision 0079).

The poll cycle is bound by the loop's one core (decision 0072): uvloop's loop, transports
and timers are libuv and Cython, and the fetcher, the store threads' answers
(``call_soon_threadsafe``), the parse pool's pipes (``add_reader``), signal handlers,
psycopg, uvicorn and APScheduler use only what both loops implement.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
EventLoopChoice = Literal["auto", "uvloop", "asyncio"]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def uvloop_installed() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def loop_kind(choice: EventLoopChoice) -> Literal["uvloop", "asyncio"]:
    """The loop ``choice`` gives here: ``auto`` is uvloop when it is installed."""
    if choice == "auto":
        return "uvloop" if uvloop_installed() else "asyncio"
    return choice


def loop_factory(choice: EventLoopChoice) -> LoopFactory:
    """A new event loop of the kind ``choice`` gives (ImportError: ``uvloop`` asked for
    where it is not installed; the configuration check refuses that first)."""
    if loop_kind(choice) == "uvloop":
        import uvloop  # noqa: PLC0415  # not installed on Windows

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def running_loop_kind() -> Literal["uvloop", "asyncio"]:
    """The kind of the loop running now (what ``daemon_started`` logs)."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.partition(".")[0] == "uvloop" else "asyncio"


def run_in_loop(main: Coroutine[Any, Any, T], choice: EventLoopChoice) -> T:
    """``asyncio.run(main)`` on the loop ``choice`` gives."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
