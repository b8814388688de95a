"""A one-line progress bar on a terminal; silent anywhere else.

Hand-written: twenty lines do what ``rich``/``tqdm`` would, without a new
dependency for one command. It draws on the given stream (stderr) only when
that stream is a TTY, so piped or captured output stays clean, and redraws at
most once per percent.
"""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

WIDTH = 30


class Progress:
    """``with Progress(total, sys.stderr) as bar: bar.add(n)``; the line is cleared at the end."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total = max(total, 0)
        self.done = 0
        self._stream = stream if stream is not None and _is_tty(stream) else None
        self._drawn = -1

    def __enter__(self) -> Progress:
        self._draw()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            self._stream.write("\r" + " " * (WIDTH + 40) + "\r")
            self._stream.flush()

    def add(self, count: int) -> None:
        self.done = min(self.total, self.done + count)
        self._draw()

    def line(self) -> str:
        share = self.done / self.total if self.total else 1.0
        filled = round(share * WIDTH)
        bar = "#" * filled + "." * (WIDTH - filled)
        return f"[{bar}] {self.done:,}/{self.total:,} articles"

    def _draw(self) -> None:
        percent = int(100 * self.done / self.total) if self.total else 100
        if self._stream is None or percent == self._drawn:
            return
        self._drawn = percent
        self._stream.write("\r" + self.line())
        self._stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False
