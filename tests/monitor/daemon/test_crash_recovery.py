"""``kill -9`` mid-send loses nothing: the daemon as a subprocess against real servers.

The webhook receiver holds the first request open (the alert is in the store and
its send has begun, but no answer came back), the daemon is killed with SIGKILL,
and a restarted daemon delivers the alert again under the same idempotency key. Sending
one at a time (``concurrency = 1``) only that one message is sent twice; sending side by
side (the default), the other alert may have been answered but not yet recorded too, and
is resent under its own key: each key still reaches the receiver, and the store records
each alert sent once. Synchronisation is on the receiver's condition variable, never on sleeps.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon_process import HANG_GUARD, DaemonProcess
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver, Response

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


def _config(
    tmp_path: Path, feeds: FeedServer, receiver: HttpReceiver, concurrency: int = 16
) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(f"""
[daemon]
default_interval = 3600
jitter = 0
host_spacing = 0  # every test feed is on 127.0.0.1
dispatch_interval = 3600
shutdown_timeout = 5
parse_workers = 0  # parsing in a thread, and no embedding model below: these tests are
                   # about sends and their keys across a kill, not parsing or grouping

[dedup]
semantic = false

[store]
path = "{tmp_path / "crash.db"}"

[notifiers.hook]
type = "webhook"
url = "{receiver.url("/hook")}"
timeout = 60

[alerting.routes.hook]
concurrency = {concurrency}

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
    """One at a time: the held send is the only one repeated."""
    feeds, receiver = parts
    config = _config(tmp_path, feeds, receiver, concurrency=1)
    receiver.enqueue(Response(hold=True))  # the first send never gets an answer
    with DaemonProcess(config) as first:
        first.wait_ready()
        (held,) = receiver.wait_for(1, timeout=HANG_GUARD)[:1]
        first.send_signal(signal.SIGKILL)
        assert first.wait() == -signal.SIGKILL
    pending = _states(tmp_path / "crash.db")
    assert pending.get("pending", 0) >= 1  # the held one, at least, was never marked sent

    with DaemonProcess(config) as second:
        second.wait_ready()
        requests = receiver.wait_for(3, timeout=HANG_GUARD)  # held + the two alerts, answered
        second.send_signal(signal.SIGTERM)
        assert second.wait() == 0, second.stderr()
    answered = requests[1:]
    keys = [request.headers["idempotency-key"] for request in answered]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 2  # each alert accepted once
    assert held.headers["idempotency-key"] in keys  # the interrupted send, repeated
    assert len(receiver.requests) == 3
    assert _states(tmp_path / "crash.db") == {"sent": 2}


def test_kill_9_mid_concurrent_sends_then_restart_resends_under_the_same_keys(
    parts: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    """Side by side: whatever was in flight or unrecorded is resent with its own key."""
    feeds, receiver = parts
    config = _config(tmp_path, feeds, receiver)
    receiver.enqueue(Response(hold=True))  # the first send never gets an answer
    with DaemonProcess(config) as first:
        first.wait_ready()
        (held,) = receiver.wait_for(1, timeout=HANG_GUARD)[:1]
        first.send_signal(signal.SIGKILL)
        assert first.wait() == -signal.SIGKILL
    before = len(receiver.requests)
    assert _states(tmp_path / "crash.db").get("pending", 0) >= 1

    with DaemonProcess(config) as second:
        second.wait_ready()
        receiver.wait_for(before + 1, timeout=HANG_GUARD)  # the restart resends
        second.send_signal(signal.SIGTERM)  # sends in flight finish and are recorded
        assert second.wait() == 0, second.stderr()
    resent = {request.headers["idempotency-key"] for request in receiver.requests[before:]}
    every = {request.headers["idempotency-key"] for request in receiver.requests}
    assert held.headers["idempotency-key"] in resent  # the interrupted send, repeated
    assert len(every) == 2  # two alerts, two keys: a resend never gets a new one
    assert _states(tmp_path / "crash.db") == {"sent": 2}
