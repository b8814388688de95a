"""How a child process ended, in the words logs and errors use (parse workers, the
cold-start child)."""

from __future__ import annotations

import signal


def process_ended(code: int | None) -> str:
    """ "exited with 1", "killed by SIGKILL", "killed by signal 40" (a real-time signal has
    no name in Python's table) from a ``returncode`` / ``exitcode``."""
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with {code}"
