"""SIGTERM ends ``wirewatch run`` even when a part it closes never answers: a PostgreSQL
write waiting on a lock another daemon holds for good, a config reload stuck reading an
included file. Each stuck step is given up on and named in the log, and the process
exits; what was stuck stays pending for the next start.

Real parts: the daemon is a subprocess, the database the local PostgreSQL, the feed a
local HTTP server, the stuck include a FIFO nobody writes. Waits are on log events and
on the database's own view of its lock queue; timeouts are hang guards only.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from monitor.daemon.shutdown import EXIT_GRACE, OVERRAN_EXIT_STATUS
from tests.support.configs import JSON_LOGS_ANY_PORT, one_feed_config
from tests.support.daemon_process import HANG_GUARD, DaemonProcess
from tests.support.feedserver import FeedServer
from tests.support.stores import POSTGRES_URL, new_store, postgres_schema_sync

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>d</description>
<item><title>Iranian troops reach Latakia airbase</title><guid>w-1</guid>
<link>https://wire.example/1</link></item></channel></rss>"""
# The lock every article write takes last (migration 0018): held here as a hung peer
# daemon would hold it, forever.
STORIES_LOCK = "SELECT pg_advisory_lock(hashtextextended('wirewatch.stories:' || %s, 0))"
# Sessions waiting for a lock this session holds (the daemon's, as nothing else runs here).
WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
)


@pytest.fixture(name="feed_url")
def _feed_url() -> Iterator[str]:
    with FeedServer() as feeds:
        feeds.add_feed("/feed.xml", FEED)
        yield feeds.url("/feed.xml")


def _abandoned(daemon: DaemonProcess) -> set[str]:
    return {e["step"] for e in daemon.events() if e.get("event") == "shutdown_step_abandoned"}


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset")
def test_sigterm_exits_while_a_write_waits_on_a_lock_a_peer_never_gives_back(
    tmp_path: Path, feed_url: str
) -> None:
    with postgres_schema_sync() as url, psycopg.connect(url, autocommit=True) as peer:
        config = _config(tmp_path, feed_url, f'url = "{url}"')
        peer.execute(STORIES_LOCK, (_schema_of(peer),))
        with DaemonProcess(config) as daemon:
            daemon.wait_ready()
            _wait_for_a_lock_waiter(peer)  # the daemon's article write, stuck behind us
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait() == 0, daemon.stderr()
            assert "article_writes" in _abandoned(daemon), daemon.stderr()
            daemon.wait_event("daemon_stopped")


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset")
def test_sigterm_exits_while_the_first_claim_waits_behind_a_peers_open_insert(
    tmp_path: Path, feed_url: str
) -> None:
    """The start's first claim publishes the feeds; a peer's uncommitted insert of the same
    feed holds it. The stop must not wait for the start to get past it."""
    with postgres_schema_sync() as url, psycopg.connect(url, autocommit=True) as peer:
        asyncio.run(_migrated(url))
        config = _config(tmp_path, feed_url, f'url = "{url}"')
        with peer.transaction(), DaemonProcess(config) as daemon:
            peer.execute("INSERT INTO feeds (url) VALUES (%s)", (feed_url,))
            daemon.wait_ready()
            _wait_for_a_lock_waiter(peer)  # the daemon's publish of its feeds, behind ours
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait() == 0, daemon.stderr()
            assert "lease_release" in _abandoned(daemon), daemon.stderr()
            daemon.wait_event("daemon_stopped")


async def _migrated(url: str) -> None:
    """The schema the daemon would make at its start, made before it starts."""
    store = new_store("postgresql", url)
    await store.open()
    await store.close()


def _schema_of(conn: psycopg.Connection[tuple[object, ...]]) -> str:
    row = conn.execute("SELECT current_schema()").fetchone()
    assert row is not None
    return str(row[0])


def _config(tmp_path: Path, feed_url: str, store: str, top: str = "") -> Path:
    """One feed, one rule, console alerts, a 1 s shutdown deadline, JSON logs."""
    return one_feed_config(tmp_path, feed_url, top=top, store_table=store,
                           daemon="shutdown_timeout = 1", tables=JSON_LOGS_ANY_PORT)  # fmt: skip


def _wait_for_a_lock_waiter(peer: psycopg.Connection[tuple[object, ...]]) -> None:
    """Until another session waits on a lock ``peer`` holds (asked of the database, which
    wakes this wait by its own clock; a hang guard bounds it)."""
    for _ in range(int(HANG_GUARD / 0.05)):
        row = peer.execute(WAITING).fetchone()
        if row is not None and int(str(row[0])) > 0:
            return
        peer.execute("SELECT pg_sleep(0.05)")  # the database's view is polled, not a delay
    raise AssertionError("no session ever waited on a lock the test holds")


def test_a_step_no_timeout_can_end_is_ended_by_the_exit_watchdog(
    tmp_path: Path, feed_url: str
) -> None:
    """A reload stuck in a thread reading an include (a FIFO nobody writes: a hung network
    mount) is given up on by the drain, but the interpreter would join that thread at exit
    for ever: the watchdog ends the process, naming where every thread was."""
    include = tmp_path / "extra.toml"
    include.write_text("")
    store = f'path = "{tmp_path / "ww.db"}"'
    config = _config(tmp_path, feed_url, store, top=f'include = ["{include}"]')
    with DaemonProcess(config) as daemon:
        daemon.wait_event("daemon_started")
        daemon.wait_event("feed_polled")
        include.unlink()
        os.mkfifo(include)
        daemon.send_signal(signal.SIGHUP)  # the reload's thread blocks opening the FIFO
        daemon.wait_event("config_reload_started")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait() == OVERRAN_EXIT_STATUS, daemon.stderr()
        overran = daemon.wait_event("shutdown_overran")
        assert overran["seconds"] == 3 * 1 + EXIT_GRACE
        assert "reload" in _abandoned(daemon)
        assert "validate_reload" in daemon.stderr()  # the stuck thread's stack
