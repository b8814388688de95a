"""The suite's own hygiene check (tests/support/leftovers.py): a pytest run whose test
leaves a process behind, a child or an orphan re-parented to PID 1, fails and kills it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.leftovers import REPORT_TITLE
from tests.support.processes import HANG_GUARD, running

ROOT = Path(__file__).resolve().parents[1]
# The inner run's one test starts a sleeper whose command line ends with a unique word; it
# never ends by itself, so the inner run need not wait for it (--leftover-wait=0).
INNER = """
import subprocess, sys

SLEEP = [sys.executable, "-c", "import time; time.sleep(600)", {word!r}]


def test_it():
    {body}
"""
CHILD = "subprocess.Popen(SLEEP)"
# The middle process exits at once: the sleeper is re-parented (to PID 1 or a subreaper).
ORPHAN = (
    "subprocess.run([sys.executable, '-c', "
    "'import subprocess, sys; subprocess.Popen(sys.argv[1:])', *SLEEP], check=True)"
)
NOTHING = "subprocess.run([sys.executable, '-c', 'pass'], check=True)"


def _inner_run(
    tmp_path: Path, body: str, word: str, options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(INNER.format(word=word, body=body), "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.leftovers", "-p",
         "no:cacheprovider", "-q", "--leftover-wait=0", *options, "--rootdir", str(tmp_path),
         str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD * 3, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "reported"),
    [(CHILD, 1, True), (ORPHAN, 1, True), (NOTHING, 0, False)],
    ids=["child", "orphan", "nothing"],
)
def test_a_process_left_behind_fails_the_run_and_is_killed(
    tmp_path: Path, body: str, status: int, reported: bool
) -> None:
    word = f"sleeper-{tmp_path.name}"
    run = _inner_run(tmp_path, body, word)
    assert run.returncode == status, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert (REPORT_TITLE in run.stdout) is reported
    assert (word in run.stdout) is reported  # the report names the process
    assert [proc for proc in running() if proc.command.endswith(word)] == []


@pytest.mark.parametrize("body", [CHILD, ORPHAN], ids=["child", "orphan"])
def test_under_xdist_a_workers_leftover_fails_the_run_and_is_killed(
    tmp_path: Path, body: str
) -> None:
    """The suite runs under pytest-xdist: the worker that ran the test finds the process
    and kills it, and the controller reports it and fails the run."""
    word = f"sleeper-{tmp_path.name}"
    run = _inner_run(tmp_path, body, word, ("-n", "1"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert REPORT_TITLE in run.stdout
    assert word in run.stdout
    assert [proc for proc in running() if proc.command.endswith(word)] == []
