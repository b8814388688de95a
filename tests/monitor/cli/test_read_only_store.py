"""Commands that only read open the store read-only: they work on a really full disk and
on a read-only file system, never migrate, and say what to do on an old schema. The
store is one a real ``run --once`` wrote on a small tmpfs (tests/support/full_disk.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.store.sql.dialect import SQLITE
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.full_disk import SmallDisk, small_disk

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Iranian troops reach Latakia</title><guid>w-1</guid></item>
<item><title>Harvest festival opens</title><guid>w-2</guid></item></channel></rss>"""


def _first_json(out: str) -> dict[str, object]:
    value: dict[str, object] = json.loads(out.splitlines()[0])
    return value


# Every command that only reads, and what its output must show of the stored run.
READS: list[tuple[list[str], Callable[[str], bool]]] = [
    (["alerts"], lambda out: "iran" in out and "sent" in out),
    (["alerts", "--json"], lambda out: _first_json(out)["rule"] == "iran"),
    (["feeds", "--json"], lambda out: _first_json(out)["http_status"] == 200),
    (["silence", "list"], lambda out: out.strip() == "no silences"),
    (["db", "stats", "--json"], lambda out: _first_json(out)["rows"] == _first_json(out)["rows"]
     and _first_json(out)["deliveries_by_state"] == {"pending": 0, "sent": 1, "dead": 0,
                                                     "silenced": 0}),
    (["db", "prune", "--dry-run"], lambda out: out.startswith("would prune:")),
    (["surges"], lambda out: out.startswith("0 surges fired since") and "rising now:" in out),
    (["surges", "backtest", "--json"], lambda out: out == ""),
]  # fmt: skip


@pytest.fixture(name="disk")
def _disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk") as disk:
        yield disk


@pytest.fixture(name="config")
def _config(tmp_path: Path, disk: SmallDisk) -> Iterator[Path]:
    """A config whose store, on the small disk, holds one polled feed and one sent alert;
    the daemon has exited (its WAL index is gone with it)."""
    with FeedServer() as server:
        server.add_feed("/wire.xml", RSS)
        path = one_feed_config(tmp_path, server.url("/wire.xml"), store=disk.path / "ww.db")
        assert main(["run", "--once", "--config", str(path)]) == 0
        yield path


def _run(argv: list[str], config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([*argv, "--config", str(config)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("condition", ["full disk", "read-only file system"])
def test_read_only_commands_work_when_the_store_cannot_be_written(
    condition: str, config: Path, disk: SmallDisk, capsys: pytest.CaptureFixture[str]
) -> None:
    (disk.fill if condition == "full disk" else disk.read_only)()
    for argv, shows in READS:
        status, out, err = _run(argv, config, capsys)
        assert status == 0, (argv, err)
        assert shows(out), (argv, out)


def test_the_daemon_says_plainly_that_a_full_disk_stops_it_and_runs_once_freed(
    config: Path, disk: SmallDisk, capsys: pytest.CaptureFixture[str]
) -> None:
    disk.fill()
    assert _run(["alerts"], config, capsys)[0] == 0  # a read on the full disk first
    status, _out, err = _run(["run", "--once"], config, capsys)
    assert status == 1
    logged, said = err.splitlines()  # the store's log line, then the command's answer
    assert json.loads(logged)["event"] == "store_not_writable"
    assert said.startswith("wirewatch: ") and "store not writable (disk_full)" in said
    disk.free()  # what the reads and the refused start left beside the file does no harm
    assert _run(["run", "--once"], config, capsys)[0] == 0
    assert _run(["feeds", "--json"], config, capsys)[0] == 0


def test_an_old_schema_is_not_migrated_by_a_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ww.db"
    with sqlite3.connect(db) as connection:
        for version, script in SQLITE.migrations()[:5]:
            connection.executescript(script)
            connection.execute(f"PRAGMA user_version = {version}")
    config = one_feed_config(tmp_path, "http://127.0.0.1:9/feed.xml", store=db)
    for argv in (["alerts"], ["feeds"]):
        status, _out, err = _run(argv, config, capsys)
        assert status == 1
        assert "schema version 5 is older" in err and "wirewatch db migrate" in err
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 5


def test_a_read_before_the_first_run_creates_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = one_feed_config(tmp_path, "http://127.0.0.1:9/feed.xml")
    status, out, _err = _run(["alerts"], config, capsys)
    assert status == 0 and out.startswith("no alerts since")
    assert not (tmp_path / "ww.db").exists()
