"""The daemon as users run it: a real process, scheduled polls, JSON logs, clean stops."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli.main import main
from tests.support.configs import iran_watch
from tests.support.daemon_process import HANG_GUARD, DaemonProcess
from tests.support.feedserver import FeedServer, RecordedRequest, Reply, Route
from tests.support.receiver import HttpReceiver

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>d</description>
<item><title>Iranian troops reach Latakia airbase</title><guid>w-1</guid>
<link>https://wire.example/1</link></item></channel></rss>"""


def _config(
    tmp_path: Path, feeds: FeedServer, receiver: HttpReceiver, event_loop: str = "auto"
) -> Path:
    path = tmp_path / "ww.toml"
    path.write_text(f"""
[daemon]
event_loop = "{event_loop}"
default_interval = 3600
jitter = 0
host_spacing = 0  # every test feed is on 127.0.0.1
shutdown_timeout = 0.5
[dedup]
semantic = false  # signals, event loops and exit codes are tested, not grouping by meaning
[log]
format = "json"
[store]
path = "{tmp_path / "ww.db"}"
[[feeds]]
name = "Wire"
url = "{feeds.url("/feed.xml")}"
[[feeds]]
name = "Stalled"
url = "{feeds.url("/stalled.xml")}"
{iran_watch(receiver.url("/hook"))}
""")
    return path


STALL_STARTED = threading.Event()


def _stall_until_closed(feeds: FeedServer) -> Route:
    """A feed that never answers: its poll is still in flight when the signal comes."""

    def route(_request: RecordedRequest) -> Reply:
        STALL_STARTED.set()
        feeds.release.wait()
        return Reply(503)

    return route


@pytest.fixture(name="parts")
def _parts() -> Iterator[tuple[FeedServer, HttpReceiver]]:
    STALL_STARTED.clear()
    with FeedServer() as feeds, HttpReceiver() as receiver:
        feeds.add_feed("/feed.xml", FEED, etag='"v1"')
        feeds.add_route("/stalled.xml", _stall_until_closed(feeds))
        yield feeds, receiver


@pytest.mark.parametrize(
    ("sig", "event_loop"),
    [(signal.SIGTERM, "uvloop"), (signal.SIGINT, "uvloop"), (signal.SIGTERM, "asyncio"),
     (signal.SIGINT, "asyncio")],
)  # fmt: skip
def test_daemon_polls_alerts_and_stops_cleanly_on_signal(
    parts: tuple[FeedServer, HttpReceiver], tmp_path: Path, sig: signal.Signals, event_loop: str
) -> None:
    feeds, receiver = parts
    config = _config(tmp_path, feeds, receiver, event_loop)
    with DaemonProcess(config) as daemon:
        daemon.wait_ready()
        (alert,) = receiver.wait_for(1, timeout=HANG_GUARD)
        assert STALL_STARTED.wait(timeout=HANG_GUARD)
        daemon.send_signal(sig)
        status = daemon.wait()
    stderr = daemon.stderr()
    assert alert.json()["rule"] == "iran"
    assert status == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert {"timestamp", "level", "event"} <= events[0].keys()
    names = [event["event"] for event in events]
    assert "daemon_started" in names and "daemon_stopping" in names
    started = next(event for event in events if event["event"] == "daemon_started")
    assert started["event_loop"] == event_loop
    stopping = next(event for event in events if event["event"] == "daemon_stopping")
    assert stopping["polls_in_flight"] == 1
    polled = next(event for event in events if event["event"] == "feed_polled")
    assert polled["feed_url"] == feeds.url("/feed.xml")


def test_run_once_polls_dispatches_and_exits_0(
    parts: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    feeds, receiver = parts
    feeds.add_status("/stalled.xml", 503)
    assert main(["run", "--once", "--config", str(_config(tmp_path, feeds, receiver))]) == 0
    assert [r.json()["title"] for r in receiver.requests] == [
        "Iranian troops reach Latakia airbase"
    ]
    assert main(["run", "--once", "--config", str(_config(tmp_path, feeds, receiver))]) == 0
    assert len(receiver.requests) == 1


def test_run_with_invalid_config_exits_1_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[daemon]\nconcurrency = 0\n")
    assert main(["run", "--once", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: daemon.concurrency" in err
    assert "Traceback" not in err


def test_demo_shows_an_alert_without_network_and_stops_on_ctrl_c() -> None:
    """Ctrl-C in the demo's terminal (SIGINT to its process group, parse workers too)
    stops it with status 0 and a clean stderr."""
    with DaemonProcess.demo() as demo:
        alert_line = demo.wait_output(lambda line: line.startswith("["))
        demo.interrupt()
        status = demo.wait()
    stderr = demo.stderr()
    assert alert_line.split("]")[0] in {"[LOW", "[MEDIUM", "[HIGH", "[CRITICAL"}
    assert status == 0, stderr
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr
    assert stderr.rstrip().endswith("wirewatch demo stopped.")
