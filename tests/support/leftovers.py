"""A pytest plugin: the run fails if a process it started outlives it.

At start it marks the session's environment (``WIREWATCH_TEST_SESSION``), which every
process the suite starts inherits. At the end it finds the processes still alive that
descend from pytest or carry the marker (an orphan re-parented to PID 1 keeps it), waits
for them to end (a killed daemon's parse workers exit a moment after it), reports and
kills those that do not, and sets the exit status to "tests failed". multiprocessing's
fork server and resource tracker of pytest itself are not counted: they end with it.

Under pytest-xdist each worker runs the tests, so each worker marks its own session and
makes the check at its end; it hands what it found to the controller (``workeroutput``),
which reports it and fails the run. The controller starts no process but its workers,
which it ends itself after this check.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.support import processes
from tests.support.processes import SESSION_MARK, Proc

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_testnodedown",
]

REPORT_TITLE = "processes left behind by the suite (now killed)"
_OWN_HELPERS = ("from multiprocessing.forkserver import", "from multiprocessing.resource_tracker")
_WORKERS_LEFT = "wirewatch_leftovers"  # key of a worker's report in its workeroutput
_left_in_workers: list[str] = []  # the controller's: what its workers found and killed


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--leftover-wait", type=float, default=processes.HANG_GUARD, metavar="SECONDS",
        help="how long processes the run started may take to end after it (a hang guard)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    os.environ[SESSION_MARK] = processes.new_token()


@pytest.hookimpl(optionalhook=True)  # xdist's hook: absent without it
def pytest_testnodedown(node: Any, error: object | None) -> None:
    """xdist's controller: an xdist worker ended, with its own check's findings."""
    _left_in_workers.extend(getattr(node, "workeroutput", {}).get(_WORKERS_LEFT, ()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if config.pluginmanager.has_plugin("dsession"):  # xdist's controller: no test ran here
        _report(session, list(_left_in_workers))
        return
    left = processes.wait_gone(started_by_session(), config.option.leftover_wait)
    if not left:
        return
    processes.kill(left)
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller reports
        config.workeroutput[_WORKERS_LEFT] = [str(proc) for proc in left]
    _report(session, [str(proc) for proc in left])


def _report(session: pytest.Session, left: list[str]) -> None:
    if not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", REPORT_TITLE, red=True)
        for proc in left:
            reporter.write_line(proc)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def started_by_session() -> list[Proc]:
    """Descendants of this process, and processes anywhere carrying the session's
    marker, except this process and multiprocessing's helpers of its own."""
    me = os.getpid()
    found = {proc.pid: proc for proc in processes.descendants(me)}
    marked = processes.marked(os.environ[SESSION_MARK], SESSION_MARK)
    found.update((proc.pid, proc) for proc in marked)
    return [proc for pid, proc in sorted(found.items()) if pid != me and not _own_helper(proc)]


def _own_helper(proc: Proc) -> bool:
    return proc.ppid == os.getpid() and proc.command.split(" -c ")[-1].startswith(_OWN_HELPERS)
