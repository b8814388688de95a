"""The suite's daemon processes (tests/support/daemon_process.py) fail a wait, saying why,
when the daemon never becomes ready: it exits during its start, or hangs in it (here in
connecting to a database that accepts and never answers). A ready daemon is what every
daemon-process test exercises."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import daemon_process
from tests.support.daemon_process import DaemonProcess


def _config(tmp_path: Path, store: str, daemon: str = "") -> Path:
    path = tmp_path / "ww.toml"
    path.write_text(f"""
[daemon]
parse_workers = 0
{daemon}
[log]
format = "json"
[store]
{store}
[notifiers.console]
type = "console"
""")
    return path


@pytest.fixture(name="stalled_database")
def _stalled_database(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL URL whose server (a Unix socket) accepts connections, never answers."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(tmp_path / ".s.PGSQL.5432"))
        server.listen()
        yield f'url = "postgresql://ww@/ww?host={tmp_path}"\nconnect_timeout = 3600'


def test_a_daemon_that_exits_while_starting_fails_the_wait_naming_its_exit(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, f'path = "{tmp_path / "ww.db"}"', daemon="concurrency = 0")
    with DaemonProcess(config) as daemon:
        with pytest.raises(AssertionError, match=r"exited \(status 1\) before it was ready"):
            daemon.wait_ready()
        with pytest.raises(AssertionError, match="never saw 'feed_polled' event"):
            daemon.wait_event("feed_polled")
    assert "daemon.concurrency" in daemon.stderr()


def test_a_daemon_that_never_gets_ready_fails_the_wait_after_the_cold_start_guard(
    tmp_path: Path, stalled_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It hangs for an hour in its store's connect: any guard passes first, so the
    guard is shortened to keep the test short; what is checked is the failure."""
    monkeypatch.setattr(daemon_process, "COLD_START_GUARD", 1.0)
    with DaemonProcess(_config(tmp_path, stalled_database)) as daemon:
        with pytest.raises(AssertionError, match=r"was not ready \(gc_freeze_skipped or "):
            daemon.wait_event("feed_polled")
        assert daemon.process.poll() is None  # still hanging, killed on leaving the block
