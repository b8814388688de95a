"""The daemon on a really full disk: ``wirewatch run`` as a subprocess, its store on a small
tmpfs that a ballast file fills (tests/support/full_disk.py), feeds and a webhook receiver
on loopback servers. Every step waits on requests or log lines; timeouts are hang guards.

Sending: an alert the receiver took is sent once, even while the store cannot record it
as sent, and recorded once space is back; SIGTERM exits 0 without a traceback.
Polling: one rate-limited ``store_not_writable`` line instead of a traceback per feed,
``/readyz`` 503 while writes fail and 200 after, and the articles fetched meanwhile are
fetched again and stored once space is back (the conditional GET did not move past them).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.main import main
from tests.support.daemon_process import HANG_GUARD, DaemonProcess
from tests.support.feedserver import FeedServer, RecordedRequest, Reply
from tests.support.full_disk import SmallDisk, small_disk

TITLES = (
    "Crane collapse shuts northern harbour",
    "Union halts work after crane operator injured in Dover",
    "Museum unveils restored steam crane built in 1890",
    "Whooping crane population rebounds at Texas refuge",
    "Council approves crane permits for riverside tower",
    "Storm topples construction crane onto Lagos highway",
    "Police find stolen mobile crane in limestone quarry",
    "Crane maker reports record quarterly profit",
    "Festival projects light art onto dockside crane",
    "Floating crane refloats grounded ferry near Bergen",
)
CONFIG = """
[daemon]
jitter = 0
host_spacing = 0
parse_workers = 0
dispatch_interval = 1
min_interval = 1
backoff_base = 1
backoff_max = 2
shutdown_timeout = 30
[log]
format = "json"
levels = {{ "monitor.alerting.unrecorded" = "debug" }}
[listener]
enabled = {listener}
port = 0
[store]
path = "{store}"
[notifiers.hook]
type = "webhook"
url = "{hook}"
[[rules]]
name = "cranes"
any_of = [{{ terms = ["crane"] }}]
"""


def _rss(titles: tuple[str, ...], prefix: str) -> bytes:
    """An RSS document whose items have GUIDs ``<prefix>-0``, ``<prefix>-1``, …"""
    items = "".join(
        f"<item><title>{title}</title><guid>{prefix}-{n}</guid>"
        f"<link>https://wire.example/{prefix}/{n}</link></item>"
        for n, title in enumerate(titles)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def _config(tmp_path: Path, disk: SmallDisk, feeds: list[str], hook: str, **extra: str) -> Path:
    path = tmp_path / "ww.toml"
    tables = "".join(f'[[feeds]]\nurl = "{url}"\n{extra.get("feed", "")}\n' for url in feeds)
    text = CONFIG.format(listener=extra.get("listener", "false"), store=disk.path / "ww.db",
                         hook=hook)  # fmt: skip
    path.write_text(text + tables, encoding="utf-8")
    return path


def _deliveries(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT state, count(*) FROM deliveries GROUP BY state")
        return dict(rows.fetchall())


def _no_traceback(daemon: DaemonProcess) -> None:
    stderr = daemon.stderr()
    assert "Traceback" not in stderr, stderr
    assert all(line.startswith("{") for line in stderr.splitlines()), stderr


class _Hook:
    """A webhook receiver whose first request is answered only when the test says."""

    def __init__(self) -> None:
        self.arrived, self.opened = threading.Event(), threading.Event()

    def route(self, _request: RecordedRequest) -> Reply:
        self.arrived.set()
        self.opened.wait(HANG_GUARD)
        return Reply(200, {"Content-Type": "text/plain"}, b"ok")


@pytest.fixture(name="disk")
def _disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk") as disk:
        yield disk


def _keys(hooks: FeedServer) -> Counter[str]:
    return Counter(request.headers["idempotency-key"] for request in hooks.requests_to("/hook"))


@pytest.mark.parametrize("space_back", ["before stopping", "after stopping"])
def test_a_full_disk_while_sending_sends_each_alert_once(
    tmp_path: Path, disk: SmallDisk, space_back: str
) -> None:
    """The disk fills while the first send is in flight: recording "sent" fails for every
    alert, yet each goes out once; each sweep meanwhile leaves them alone."""
    hook = _Hook()
    with FeedServer() as feeds, FeedServer() as hooks:
        feeds.add_feed("/wire.xml", _rss(TITLES, "w"), etag='"v1"')
        hooks.add_route("/hook", hook.route)
        config = _config(tmp_path, disk, [feeds.url("/wire.xml")], hooks.url("/hook"))
        with DaemonProcess(config) as daemon:
            daemon.wait_ready()
            assert hook.arrived.wait(HANG_GUARD)  # every alert is queued; one is in flight
            alerts = len([e for e in daemon.events() if e.get("event") == "alert_raised"])
            disk.fill()
            hook.opened.set()
            assert hooks.wait_handled(alerts, HANG_GUARD)
            assert set(_keys(hooks).values()) == {1}, _keys(hooks)
            daemon.wait_event("delivery_outcomes_waiting", count=3)  # three sweeps later
            sent = _keys(hooks)
            assert set(sent.values()) == {1}, sent  # none twice
            assert len(sent) == alerts >= 5
            if space_back == "before stopping":
                disk.free()
                recorded = daemon.wait_event("delivery_outcomes_recorded")
                assert (recorded["outcomes"], recorded["waiting"]) == (alerts, 0)
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait() == 0, daemon.stderr()
        _no_traceback(daemon)
        # The disk still full at exit, the close's last try at the surge state is refused
        # too, and says so (a refused save is not counted saved): nothing else follows.
        after = _events_after(daemon.events(), "daemon_stopped")
        assert set(after) <= {"surge_state_not_saved"}, after
        if space_back == "after stopping":  # kept in memory only: resent, same keys
            stopped = daemon.wait_event("delivery_outcomes_unrecorded_at_shutdown")
            assert stopped["outcomes"] == alerts
            assert _deliveries(disk.path / "ww.db") == {"pending": alerts}
            disk.free()
            assert main(["run", "--once", "--config", str(config)]) == 0
        assert set(_keys(hooks).values()) == {1 if space_back == "before stopping" else 2}
        assert len(_keys(hooks)) == alerts
    assert _deliveries(disk.path / "ww.db") == {"sent": alerts}


def _readyz(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=HANG_GUARD) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_a_full_disk_while_polling_is_one_clear_error_and_nothing_is_lost(
    tmp_path: Path, disk: SmallDisk
) -> None:
    paths = [f"/feed{n}.xml" for n in range(3)]
    with FeedServer() as feeds, FeedServer() as hooks:
        for n, path in enumerate(paths):
            feeds.add_feed(path, _rss(TITLES[n : n + 1], f"f{n}"), etag='"v1"')
        hooks.add_route("/hook", lambda _request: Reply(200, {}, b"ok"))
        config = _config(
            tmp_path, disk, [feeds.url(path) for path in paths], hooks.url("/hook"),
            listener="true", feed="interval = 1",
        )  # fmt: skip
        with DaemonProcess(config) as daemon:
            port = daemon.wait_event("listener_started")["port"]
            daemon.wait_event("feed_polled", count=len(paths))
            assert _readyz(port)[0] == 200
            disk.fill()
            for n, path in enumerate(paths):  # new articles: storing them needs room
                feeds.add_feed(path, _rss(TITLES[3 + 2 * n : 5 + 2 * n], f"g{n}"), etag='"v2"')
            asked = len(feeds.requests)
            assert feeds.wait_handled(asked + 3 * len(paths), HANG_GUARD)  # ~3 polls each
            status, body = _readyz(port)
            assert status == 503, body
            assert body["checks"] == {"config": "ok", "scheduler": "ok", "stories": "ok",
                                      "store": "not writable (disk_full)"}  # fmt: skip
            events = daemon.events()
            lines = [e for e in events if e.get("event") == "store_not_writable"]
            assert 1 <= len(lines) < 3 * len(paths)  # rate-limited, not one per failed poll
            assert {(e["cause"], e["location"]) for e in lines} == {
                ("disk_full", str(disk.path / "ww.db"))
            }
            assert "feed_poll_crashed" not in {e.get("event") for e in events}

            disk.free()
            daemon.wait_event("store_writable")
            assert _readyz(port)[0] == 200
            # The new articles are fetched again (not a 304 to a "v2" never stored) and stored.
            daemon.wait_event("feed_polled", count=2 * len(paths))
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait() == 0, daemon.stderr()
        _no_traceback(daemon)
    with sqlite3.connect(f"file:{disk.path / 'ww.db'}?mode=ro", uri=True) as db:
        guids = {row[0] for row in db.execute("SELECT guid FROM articles")}
    assert guids == {f"f{n}-0" for n in range(3)} | {f"g{n}-{i}" for n in range(3) for i in (0, 1)}


def _events_after(events: list[dict[str, Any]], name: str) -> list[str]:
    """The events logged after the last ``name`` (which must be there)."""
    names = [event.get("event") for event in events]
    assert name in names, names
    last = len(names) - 1 - names[::-1].index(name)
    return [str(event) for event in names[last + 1 :]]
