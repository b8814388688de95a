"""``bench.poll --decisions``: a cycle's stories compared by their articles' titles, not
their IDs (which name the farm's address, new in every run), with its alerts. The rows
are written through the real SQLite store (its migrated schema, ``record_articles``), so
the digest reads what a cycle writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from bench.poll import decisions
from monitor.records import AlertRecord, Article, DedupDecision, Verdict, alert_id_for, article_id
from monitor.store import ArticleRecord
from monitor.store.sqlite.store import SqliteStore
from rules import Severity

NOW = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
SEEDED = NOW - timedelta(days=3)
SINCE = NOW - timedelta(days=1)
FEED = "http://farm.test/feed"


class Row(NamedTuple):
    """An article of ``story`` (its first opens it); ``absorbs`` a story; ``alerts``: it
    raises an alert (rule ``r``, event ``new``) on its story."""

    story: str
    title: str
    seeded: bool = False
    alerts: bool = False
    absorbs: str = ""


def _record(row: Row, opened: set[str]) -> ArticleRecord:
    fetched = SEEDED if row.seeded else NOW
    article = Article(
        article_id=article_id(FEED, row.title), feed_url=FEED, feed_name="Farm", guid=row.title,
        title=row.title, link="", summary="", content="", published=fetched, fetched_at=fetched,
    )  # fmt: skip
    verdict = Verdict.FOLDED if row.story in opened else Verdict.NEW_STORY
    opened.add(row.story)
    absorbed = (row.absorbs,) if row.absorbs else ()
    alerts = [
        AlertRecord(
            alert_id=alert_id_for(row.story, "r", "new"), story_id=row.story,
            article_id=article.article_id, rule="r", severity=Severity.MEDIUM, terms=("w",),
            notifiers=(), created_at=fetched,
        )
    ] if row.alerts else []  # fmt: skip
    return ArticleRecord(article, DedupDecision(verdict, row.story, absorbed=absorbed), alerts)


async def _decided(path: Path, rows: Sequence[Row]) -> dict[str, object]:
    store = SqliteStore(str(path))
    await store.open()
    try:
        opened: set[str] = set()
        for row in rows:  # one transaction each, in order, as a cycle's polls write them
            await store.record_articles([_record(row, opened)])
    finally:
        await store.close()
    return decisions(path, SINCE)


GROUPED = [
    Row("s0", "old", seeded=True),
    Row("s1", "a"),
    Row("s1", "b"),
    Row("s2", "c", alerts=True),
]
RENAMED = [
    Row("x0", "old", seeded=True),
    Row("x9", "c", alerts=True),
    Row("x7", "b"),
    Row("x7", "a"),
]


async def test_the_same_stories_under_other_ids_give_the_same_digest(tmp_path: Path) -> None:
    decided = await _decided(tmp_path / "one.db", GROUPED)
    assert decided == await _decided(tmp_path / "other.db", RENAMED)
    assert (decided["articles"], decided["stories"], decided["joined"]) == (3, 2, 1)
    assert (decided["with_seeded"], decided["alerts"]) == (0, 1)


SEEDS = [Row("s1", "old one", seeded=True), Row("s2", "old two", seeded=True)]


OTHER_DECISIONS = {
    "regrouped": [Row("s1", "a"), Row("s2", "b"), Row("s2", "c", alerts=True)],
    "alert on another story": [Row("s1", "a", alerts=True), Row("s1", "b"), Row("s2", "c")],
    "joined a seeded story": [*SEEDS, Row("s1", "new")],
    "joined another seeded story": [*SEEDS, Row("s2", "new")],
    "opened its own": [*SEEDS, Row("s3", "new")],
    "alert's story merged away": [Row("s1", "a", alerts=True), Row("s2", "b", absorbs="s1")],
    "merged into another": [
        Row("s1", "a", alerts=True),
        Row("s2", "b"),
        Row("s3", "c", absorbs="s1"),
    ],
}


async def test_each_other_decision_gives_another_digest(tmp_path: Path) -> None:
    """Each case decides something no other does (GROUPED included): all digests differ."""
    cases = {"grouped": GROUPED, **OTHER_DECISIONS}
    digests = {
        name: (await _decided(tmp_path / f"{index}.db", rows))["digest"]
        for index, (name, rows) in enumerate(cases.items())
    }
    assert len(set(digests.values())) == len(cases), digests


async def test_an_alert_on_a_merged_story_names_the_survivor(tmp_path: Path) -> None:
    merged = await _decided(tmp_path / "merged.db", OTHER_DECISIONS["alert's story merged away"])
    assert (merged["stories"], merged["joined"], merged["alerts"]) == (1, 1, 1)
