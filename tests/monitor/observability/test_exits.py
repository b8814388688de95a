"""A child process's end in words: exit status, named signal, real-time signal."""

import signal

import pytest

from monitor.observability import process_ended


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (0, "exited with 0"),
        (3, "exited with 3"),
        (None, "exited with None"),
        (-signal.SIGKILL, "killed by SIGKILL"),
        (-signal.SIGTERM, "killed by SIGTERM"),
        (-(signal.SIGRTMIN + 6), f"killed by signal {signal.SIGRTMIN + 6}"),
    ],
)
def test_process_ended_says_how_a_child_ended(code: int | None, words: str) -> None:
    assert process_ended(code) == words
