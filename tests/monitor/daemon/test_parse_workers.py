"""The parse pool's processes as an operator meets them: ``wirewatch run`` and ``demo`` as
real subprocesses, parsing in a worker process, then killed with ``kill -9`` or stopped by
Ctrl-C in their terminal (SIGINT to the whole process group).

Processes are found through /proc by the marker each command's environment carries
(tests/support/processes.py), so they are still found once re-parented to PID 1; waiting
for them to end is on pidfds, bounded by a hang guard, never on sleeps.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.configs import JSON_LOGS_ANY_PORT, one_feed_config
from tests.support.daemon_process import DaemonProcess
from tests.support.feedserver import FeedServer
from tests.support.processes import descendants, wait_gone

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>d</description>
<item><title>Iranian troops reach Latakia airbase</title><guid>w-1</guid>
<link>https://wire.example/1</link></item></channel></rss>"""


@pytest.fixture(name="feed_url")
def _feed_url() -> Iterator[str]:
    with FeedServer() as feeds:
        feeds.add_feed("/feed.xml", FEED)
        yield feeds.url("/feed.xml")


@pytest.fixture(name="daemon", params=["run", "demo"])
def _daemon(
    request: pytest.FixtureRequest, tmp_path: Path, feed_url: str
) -> Iterator[DaemonProcess]:
    """The command, once a feed was parsed in a worker process: ``run``'s first poll is
    logged, or ``demo``'s first alert is on the console."""
    if request.param == "run":
        config = one_feed_config(tmp_path, feed_url, parse_workers=1, tables=JSON_LOGS_ANY_PORT)
        with DaemonProcess(config) as daemon:
            daemon.wait_event("feed_polled")
            yield daemon
    else:
        with DaemonProcess.demo() as daemon:
            daemon.wait_output(lambda line: line.startswith("["))
            yield daemon


def _workers(daemon: DaemonProcess) -> list[int]:
    """Pids of the daemon's grandchildren: what its fork server forked, the parse workers."""
    tree = descendants(daemon.pid)
    return [proc.pid for proc in tree if proc.ppid != daemon.pid]


def test_kill_9_of_the_daemon_takes_its_parse_processes_down_too(daemon: DaemonProcess) -> None:
    """Fork server, resource tracker and workers end once the daemon is killed."""
    assert _workers(daemon), daemon.family()
    family = daemon.family()
    daemon.send_signal(signal.SIGKILL)
    assert daemon.process.wait() == -signal.SIGKILL
    assert wait_gone(family) == []
    assert daemon.family() == []


def test_ctrl_c_in_the_terminal_stops_quietly_with_status_0(daemon: DaemonProcess) -> None:
    """SIGINT reaches every process of the group: the daemon drains and exits 0, the
    workers leave the stopping to it, and no traceback is printed."""
    assert _workers(daemon)
    daemon.interrupt()
    status = daemon.wait()
    stderr = daemon.stderr()
    assert wait_gone(daemon.family()) == []
    assert status == 0, stderr
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr
