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

The command runs in a process group of its own, as a shell job does (``interrupt`` is a
terminal's Ctrl-C), with a marker in its environment that everything it starts inherits
(:mod:`tests.support.processes`): on exit, the parse workers and the rest must be gone
once the daemon is, even after ``kill -9``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from tests.support.processes import HANG_GUARD, Proc, kill, marked, marked_env, new_token, wait_gone

__all__ = ["HANG_GUARD", "DaemonProcess"]


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
        ``what`` if the process ends (or the hang guard passes) first."""
        with self._changed:
            self._changed.wait_for(lambda: holds(self.events()) or self._ended, timeout)
        if not holds(self.events()):
            raise AssertionError(f"never saw {what}; stderr:\n{self.stderr()}")

    def wait_output(self, wanted: Callable[[str], bool], *, timeout: float = HANG_GUARD) -> str:
        """The first stdout line ``wanted`` accepts; AssertionError if the process ends (or
        the hang guard passes) first."""

        def found() -> list[str]:
            return [line for line in self.output if wanted(line)]

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


def _json(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
