"""``wirewatch run`` as a real subprocess, with its JSON log lines readable as they come.

    with DaemonProcess(config_path) as daemon:
        daemon.wait_event("daemon_started")
        daemon.send_signal(signal.SIGHUP)
        reloaded = daemon.wait_event("config_reloaded")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait() == 0

A reader thread collects stderr line by line; ``wait_event`` blocks on a condition until a
line with that ``event`` arrives (or the process exits), never on sleeps. The config must
set ``[log] format = "json"``. Timeouts are hang guards, not performance thresholds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = ["HANG_GUARD", "DaemonProcess"]

HANG_GUARD = 60.0  # seconds; only ever reached when something is broken


class DaemonProcess:
    """A running ``python -m monitor run --config PATH``; killed on exit if still alive."""

    def __init__(self, config: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(config), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def events(self) -> list[dict[str, Any]]:
        """Every JSON log line so far (other lines, e.g. a traceback, are skipped)."""
        with self._changed:
            lines = list(self.lines)
        return [event for line in lines if (event := _json(line)) is not None]

    def wait_event(
        self, name: str, *, count: int = 1, timeout: float = HANG_GUARD
    ) -> dict[str, Any]:
        """The ``count``-th log event called ``name``; AssertionError if the process ends
        (or the hang guard passes) first."""

        def found() -> list[dict[str, Any]]:
            return [event for event in self.events() if event.get("event") == name]

        with self._changed:
            self._changed.wait_for(lambda: len(found()) >= count or self._ended, timeout)
        matches = found()
        if len(matches) < count:
            raise AssertionError(f"no {name!r} event (#{count}); stderr:\n{self.stderr()}")
        return matches[count - 1]

    def stderr(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def send_signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = HANG_GUARD) -> int:
        """The exit status, once the process and its log reader are done."""
        status = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
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
        self._reader.join()
        assert self.process.stderr is not None
        self.process.stderr.close()


def _json(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
