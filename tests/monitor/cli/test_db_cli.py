"""``wirewatch db stats|prune|vacuum`` against the database a real ``run --once`` wrote."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from monitor.cli.main import main
from tests.support.configs import one_feed_config
from tests.support.feedserver import FeedServer

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Iranian troops reach Latakia</title><guid>w-1</guid></item>
<item><title>Harvest festival opens</title><guid>w-2</guid></item></channel></rss>"""
STATS_KEYS = {
    "backend", "location", "schema_version", "size_bytes", "wal_bytes", "page_size",
    "page_count", "free_pages", "auto_vacuum", "rows", "alerts_by_state",
    "deliveries_by_state", "oldest_article", "newest_article", "article_bodies",
    "article_body_bytes",
}  # fmt: skip


@pytest.fixture(name="config_path")
def _config_path(tmp_path: Path) -> Iterator[Path]:
    with FeedServer() as server:
        server.add_feed("/wire.xml", RSS)
        path = one_feed_config(tmp_path, server.url("/wire.xml"))
        assert main(["run", "--once", "--config", str(path)]) == 0
        yield path


def _stats(config_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["db", "stats", "--config", str(config_path), "--json"]) == 0
    record: dict[str, object] = json.loads(capsys.readouterr().out)
    return record


def test_stats_json_after_a_run(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _stats(config_path, capsys)
    assert set(record) == STATS_KEYS
    assert (record["backend"], record["location"]) == ("sqlite", str(config_path.parent / "ww.db"))
    assert record["auto_vacuum"] == "incremental"
    assert isinstance(record["size_bytes"], int) and record["size_bytes"] > 0
    rows = record["rows"]
    assert isinstance(rows, dict)
    assert {table: rows[table] for table in ("feeds", "articles", "stories", "alerts")} == {
        "feeds": 1,
        "articles": 2,
        "stories": 2,
        "alerts": 1,
    }
    assert rows["pruned_articles"] == 0
    assert record["alerts_by_state"] == {"pending": 0, "done": 1}
    assert record["deliveries_by_state"] == {"pending": 0, "sent": 1, "dead": 0, "silenced": 0}
    oldest, newest = record["oldest_article"], record["newest_article"]
    assert isinstance(oldest, str) and isinstance(newest, str)
    assert datetime.fromisoformat(oldest) <= datetime.fromisoformat(newest)


def test_stats_table(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["db", "stats", "--config", str(config_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("database    ") and "(sqlite, schema" in lines[0]
    assert "auto_vacuum incremental" in lines[1]
    assert "deliveries  pending 0, sent 1, dead 0, silenced 0" in lines
    table = {line.split()[0]: line.split()[1] for line in lines[lines.index("") + 2 :]}
    assert (table["articles"], table["alerts"], table["feeds"]) == ("2", "1", "1")


def _age_everything(db_path: Path, days: int) -> None:
    """Move every stored time back ``days`` days, as if the run happened that long ago."""
    columns = [("articles", "fetched_at"), ("stories", "first_seen"), ("stories", "last_seen"),
               ("alerts", "created_at")]  # fmt: skip
    with sqlite3.connect(db_path) as db:
        for table, column in columns:
            moved = f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {column}, ?)"
            db.execute(f"UPDATE {table} SET {column} = {moved}", (f"-{days} days",))


def test_prune_dry_run_then_prune(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _age_everything(config_path.parent / "ww.db", 100)
    capsys.readouterr()
    assert main(["db", "prune", "--config", str(config_path), "--dry-run"]) == 0
    expected = "alerts 1, articles 2, stories 2, tombstones 0, surges 0"
    assert capsys.readouterr().out.strip() == f"would prune: {expected}"
    assert _rows(config_path, capsys)["articles"] == 2  # a dry run deletes nothing
    assert main(["db", "prune", "--config", str(config_path)]) == 0
    assert capsys.readouterr().out.startswith(f"pruned: {expected}; ")
    rows = _rows(config_path, capsys)
    assert (rows["articles"], rows["stories"], rows["alerts"], rows["deliveries"]) == (0,) * 4
    assert (rows["pruned_articles"], rows["feeds"]) == (2, 1)


def test_prune_keeps_what_is_recent(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["db", "prune", "--config", str(config_path)]) == 0
    assert capsys.readouterr().out.startswith("pruned: alerts 0, articles 0, stories 0")
    assert _rows(config_path, capsys)["articles"] == 2


def test_vacuum(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["db", "vacuum", "--config", str(config_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("auto_vacuum incremental")
    assert _rows(config_path, capsys)["articles"] == 2


def _rows(config_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    rows = _stats(config_path, capsys)["rows"]
    assert isinstance(rows, dict)
    return rows


def test_an_invalid_config_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[retention]\narticles_days = -1\n", encoding="utf-8")
    assert main(["db", "stats", "--config", str(path)]) == 1
