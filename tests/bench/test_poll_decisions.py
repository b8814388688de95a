"""``bench.poll --decisions``: a cycle's stories compared by their titles, not their IDs
(which name the farm's address, new in every run), with its alerts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.poll import decisions

NOW = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
SEEDED = (NOW - timedelta(days=3)).isoformat()
FETCHED = NOW.isoformat()


def _store(path: Path, articles: list[tuple[str, str, str]], alerts: list[str]) -> Path:
    """A file holding the two tables ``decisions`` reads: (story, title, fetched) rows
    and an alert (rule ``r``, event ``new``) on each story named."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE articles (story_id TEXT, title TEXT, fetched_at TEXT)")
    db.execute("CREATE TABLE alerts (story_id TEXT, rule TEXT, event TEXT)")
    db.executemany("INSERT INTO articles VALUES (?, ?, ?)", articles)
    db.executemany("INSERT INTO alerts VALUES (?, 'r', 'new')", [(story,) for story in alerts])
    db.commit()
    db.close()
    return path


def test_the_same_stories_under_other_ids_give_the_same_digest(tmp_path: Path) -> None:
    rows = [("s1", "a", FETCHED), ("s1", "b", FETCHED), ("s2", "c", FETCHED)]
    renamed = [("x9", "c", FETCHED), ("x7", "b", FETCHED), ("x7", "a", FETCHED)]
    one = _store(tmp_path / "one.db", [*rows, ("s0", "old", SEEDED)], ["s2"])
    other = _store(tmp_path / "other.db", renamed, ["x9"])
    decided = decisions(one, NOW - timedelta(days=1))
    assert decided == decisions(other, NOW - timedelta(days=1))
    assert (decided["articles"], decided["stories"], decided["joined"]) == (3, 2, 1)
    assert decided["alerts"] == 1


def test_another_grouping_or_alert_gives_another_digest(tmp_path: Path) -> None:
    rows = [("s1", "a", FETCHED), ("s1", "b", FETCHED), ("s2", "c", FETCHED)]
    regrouped = [("s1", "a", FETCHED), ("s2", "b", FETCHED), ("s2", "c", FETCHED)]
    since = NOW - timedelta(days=1)
    digest = decisions(_store(tmp_path / "one.db", rows, ["s2"]), since)["digest"]
    assert decisions(_store(tmp_path / "two.db", regrouped, ["s2"]), since)["digest"] != digest
    assert decisions(_store(tmp_path / "three.db", rows, ["s1"]), since)["digest"] != digest
