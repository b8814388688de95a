"""``kill -9`` mid-send loses nothing: the daemon as a subprocess against real servers.

The webhook receiver holds the first request open (the alert is in the store and
its send has begun, but no answer came back), the daemon is killed with SIGKILL,
and a restarted daemon delivers the alert again under the same idempotency key.
Synchronisation is on the receiver's condition variable, never on sleeps.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon_process import DaemonProcess
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver, Response

WAIT = 30.0
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Wire</title>
<item><title>Crane collapse shuts northern harbour</title><guid>hw-1</guid>
<link>https://hw.example/1</link></item>
<item><title>Second crane collapse closes southern harbour</title><guid>hw-2</guid>
<link>https://hw.example/2</link></item>
</channel></rss>"""


@pytest.fixture(name="parts")
def _parts() -> Iterator[tuple[FeedServer, HttpReceiver]]:
    with FeedServer() as feeds, HttpReceiver() as receiver:
        feeds.add_feed("/harbour.xml", FEED, etag='"v1"')
        yield feeds, receiver


def _config(tmp_path: Path, feeds: FeedServer, receiver: HttpReceiver) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(f"""
[daemon]
default_interval = 3600
jitter = 0
host_spacing = 0  # every test feed is on 127.0.0.1
dispatch_interval = 3600
shutdown_timeout = 5

[store]
path = "{tmp_path / "crash.db"}"

[notifiers.hook]
type = "webhook"
url = "{receiver.url("/hook")}"
timeout = 60

[[feeds]]
url = "{feeds.url("/harbour.xml")}"

[[rules]]
name = "cranes"
severity = "high"
any_of = [{{ terms = ["crane"] }}]
""")
    return path


def _states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT state, count(*) FROM deliveries GROUP BY state")
        return dict(rows.fetchall())


def test_kill_9_mid_send_then_restart_delivers_each_alert_exactly_once(
    parts: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    feeds, receiver = parts
    config = _config(tmp_path, feeds, receiver)
    receiver.enqueue(Response(hold=True))  # the first send never gets an answer
    with DaemonProcess(config) as first:
        (held,) = receiver.wait_for(1, timeout=WAIT)[:1]
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=WAIT) == -signal.SIGKILL
    pending = _states(tmp_path / "crash.db")
    assert pending.get("pending", 0) >= 1  # the held one, at least, was never marked sent

    with DaemonProcess(config) as second:
        requests = receiver.wait_for(3, timeout=WAIT)  # held + the two alerts, answered
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=WAIT) == 0, second.stderr()
    answered = requests[1:]
    keys = [request.headers["idempotency-key"] for request in answered]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 2  # each alert accepted once
    assert held.headers["idempotency-key"] in keys  # the interrupted send, repeated
    assert len(receiver.requests) == 3
    assert _states(tmp_path / "crash.db") == {"sent": 2}
