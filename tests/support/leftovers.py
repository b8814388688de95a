"""A pytest plugin: the run fails if a process it started outlives it.

At start it marks the session's environment (``WIREWATCH_TEST_SESSION``), which every
process the suite starts inherits. At the end it finds the processes still alive that
descend from pytest or carry the marker (an orphan re-parented to PID 1 keeps it), waits
for them to end (a killed daemon's parse workers exit a moment after it), reports and
kills those that do not, and sets the exit status to "tests failed". multiprocessing's
fork server and resource tracker of pytest itself are not counted: they end with it.
"""

from __future__ import annotations

import os

import pytest

from tests.support import processes
from tests.support.processes import SESSION_MARK, Proc

__all__ = ["pytest_addoption", "pytest_configure", "pytest_sessionfinish"]

REPORT_TITLE = "processes left behind by the suite (now killed)"
_OWN_HELPERS = ("from multiprocessing.forkserver import", "from multiprocessing.resource_tracker")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--leftover-wait", type=float, default=processes.HANG_GUARD, metavar="SECONDS",
        help="how long processes the run started may take to end after it (a hang guard)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    os.environ[SESSION_MARK] = processes.new_token()


def pytest_sessionfinish(session: pytest.Session) -> None:
    left = processes.wait_gone(started_by_session(), session.config.option.leftover_wait)
    if not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", REPORT_TITLE, red=True)
        for proc in left:
            reporter.write_line(str(proc))
    processes.kill(left)
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
