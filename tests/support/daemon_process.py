"""``wirewatch run`` (or ``demo``) as a real subprocess, its output readable as it comes.

    with DaemonProcess(config_path) as daemon:
        daemon.wait_event("daemon_started")
        daemon.send_signal(signal.SIGHUP)
        reloaded = daemon.wait_event("config_reloaded")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait() == 0

Reader threads collect stdout and stderr line by line; ``wait_event`` blocks on a
condition until a line with that ``event`` arrives (or the process exits), never on sleeps.
The config must set ``[log] format = "json"``. Timeouts are hang guards, not performance
thresholds.

A daemon's cold start (a fresh interpreter importing it, the story index warmed, the parse
workers' fork server loading the models) can take most of a minute on a loaded machine, so
no wait counts its guard across it: a wait the daemon is not ready for yet first waits for
it to be ready, under the one cold-start guard (``COLD_START_GUARD``), then for its own
condition under its own guard. A test whose first wait is on something else (a request to a
receiver, a gate in a feed route) calls ``wait_ready()`` first. Ready is the daemon's first
freeze of its start-up objects (``gc_frozen``, or ``gc_freeze_skipped``): decision 0086
makes it once, once warm and before the first poll, in ``run`` and ``demo`` alike (a config
logging above info keeps ``monitor.daemon.collector`` at info). A daemon that never gets
there fails the wait, naming what it waited for, with its stderr.

The command runs in a process group of its own, as a shell job does (``interrupt`` is a
terminal's Ctrl-C), with a marker in its environment that everything it starts inherits
(:mod:`tests.support.processes`): on exit, the parse workers and the rest must be gone
once the daemon is, even after ``kill -9``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from tests.support.processes import (
    COLD_START_GUARD,
    HANG_GUARD,
    Proc,
    kill,
    marked,
    marked_env,
    new_token,
    wait_gone,
)

__all__ = ["COLD_START_GUARD", "HANG_GUARD", "READY_EVENTS", "DaemonProcess"]

# Logged once, when the daemon is warm and before its first poll (decision 0086).
READY_EVENTS = frozenset({"gc_frozen", "gc_freeze_skipped"})
# A console log line (``demo``, or ``[log] format = "console"``): time, [level], event.
_CONSOLE_EVENT = re.compile(r"^\S+ \[\s*\w+\s*\] (\w+)")


class DaemonProcess:
    """A running ``python -m monitor run --config PATH``; killed on exit if still alive."""

    def __init__(self, config: Path, *args: str) -> None:
        self._start("run", "--config", str(config), *args)

    @classmethod
    def demo(cls) -> DaemonProcess:
        """``wirewatch demo``: its alerts on stdout, console logs on stderr."""
        daemon = cls.__new__(cls)
        daemon._start("demo")
        return daemon

    def _start(self, *args: str) -> None:
        self.token = new_token()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**marked_env(self.token), "PYTHONUNBUFFERED": "1"},
            text=True,
            process_group=0,
        )
        self.lines: list[str] = []  # stderr
        self.output: list[str] = []  # stdout
        self._events: list[dict[str, Any]] = []  # the JSON lines of stderr, each parsed once
        self._parsed = 0
        self._ready, self._scanned = False, 0  # READY_EVENTS seen; stderr lines looked at
        self._changed = threading.Condition()
        self._open = 2  # streams not at end-of-file yet
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stderr, self.lines),
                                  (self.process.stdout, self.output))
        ]  # fmt: skip
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def _ended(self) -> bool:
        return self._open == 0

    def _read(self, stream: IO[str], lines: list[str]) -> None:
        for line in stream:
            with self._changed:
                lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._open -= 1
            self._changed.notify_all()

    def events(self) -> list[dict[str, Any]]:
        """Every JSON log line so far (other lines, e.g. a traceback, are skipped)."""
        with self._changed:
            for line in self.lines[self._parsed :]:
                if (event := _json(line)) is not None:
                    self._events.append(event)
            self._parsed = len(self.lines)
            return list(self._events)

    def wait_event(
        self, name: str, *, count: int = 1, timeout: float = HANG_GUARD
    ) -> dict[str, Any]:
        """The ``count``-th log event called ``name``; AssertionError if the process ends
        (or the hang guard passes) first."""

        def found(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [event for event in events if event.get("event") == name]

        what = f"{name!r} event (#{count})"
        self.wait_until(lambda events: len(found(events)) >= count, what, timeout=timeout)
        return found(self.events())[count - 1]

    def wait_until(
        self,
        holds: Callable[[list[dict[str, Any]]], bool],
        what: str,
        *,
        timeout: float = HANG_GUARD,
    ) -> None:
        """Block until ``holds(events)`` is true of the log so far; AssertionError naming
        ``what`` if the process ends (or the hang guard passes, counted once the daemon
        is ready) first."""
        self._past_cold_start(lambda: holds(self.events()))
        with self._changed:
            self._changed.wait_for(lambda: holds(self.events()) or self._ended, timeout)
        if not holds(self.events()):
            raise AssertionError(f"never saw {what}; stderr:\n{self.stderr()}")

    @property
    def ready(self) -> bool:
        """Whether the daemon has logged that it is warm (:data:`READY_EVENTS`)."""
        with self._changed:
            while not self._ready and self._scanned < len(self.lines):
                self._ready = _event_name(self.lines[self._scanned]) in READY_EVENTS
                self._scanned += 1
            return self._ready

    def wait_ready(self) -> None:
        """Block until the daemon is ready: past its cold start, about to poll.
        AssertionError saying so if it exits, or ``COLD_START_GUARD`` passes, first."""
        if not self._past_cold_start(lambda: False):
            status = self.process.wait()
            raise AssertionError(f"the daemon exited (status {status}) before it was ready; "
                                 f"stderr:\n{self.stderr()}")  # fmt: skip

    def _past_cold_start(self, holds: Callable[[], bool]) -> bool:
        """Wait until the daemon is ready, or ``holds()`` (a wait's own condition, met
        before it is ready), or it has ended: whether it is ready or ``holds()``.
        AssertionError if ``COLD_START_GUARD`` passes first."""
        with self._changed:
            if self._changed.wait_for(
                lambda: self.ready or holds() or self._ended, COLD_START_GUARD
            ):
                return self.ready or holds()
        raise AssertionError(
            f"the daemon was not ready ({' or '.join(sorted(READY_EVENTS))} logged, at info "
            f"level by monitor.daemon.collector) within {COLD_START_GUARD:.0f} s of its start; "
            f"stderr:\n{self.stderr()}"
        )

    def wait_output(self, wanted: Callable[[str], bool], *, timeout: float = HANG_GUARD) -> str:
        """The first stdout line ``wanted`` accepts; AssertionError if the process ends (or
        the hang guard passes) first."""

        def found() -> list[str]:
            return [line for line in self.output if wanted(line)]

        self._past_cold_start(lambda: bool(found()))
        with self._changed:
            self._changed.wait_for(lambda: bool(found()) or self._ended, timeout)
            if not (lines := found()):
                raise AssertionError(f"no such output; stderr:\n{''.join(self.lines)}")
            return lines[0]

    def stderr(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def send_signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def interrupt(self) -> None:
        """Ctrl-C in its terminal: SIGINT to every process in its group."""
        os.killpg(self.pid, signal.SIGINT)

    def family(self) -> list[Proc]:
        """The command and every process it started that is alive now, wherever it is in
        the process tree (an orphan's parent is PID 1)."""
        return marked(self.token)

    def wait(self, timeout: float = HANG_GUARD) -> int:
        """The exit status, once the process and its output readers are done."""
        status = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=timeout)
        return status

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        survivors = wait_gone(self.family())
        kill(survivors)  # they hold the output pipes open: the readers would never end
        for reader in self._readers:
            reader.join()
        for stream in (self.process.stdout, self.process.stderr):
            assert stream is not None
            stream.close()
        if survivors and exc_type is None:
            listed = "\n".join(map(str, survivors))
            raise AssertionError(f"processes outlived the daemon (now killed):\n{listed}")


def _event_name(line: str) -> str | None:
    """The event a log line names, JSON or console; None for other lines."""
    if (event := _json(line)) is not None:
        return str(event.get("event"))
    return match.group(1) if (match := _CONSOLE_EVENT.match(line)) else None


def _json(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
