"""``wirewatch surges`` and ``surges backtest`` through the real CLI over a real SQLite
store: what fired, what is rising in the saved detector state, what would have fired."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting import Routes, surge_alerts
from monitor.cli.main import main
from monitor.cli.surge_backtest import _StoryNames, run_surge_backtest
from monitor.config import SurgeSettings, load_config
from monitor.records import Article, DedupDecision, StoryFacts, Verdict
from monitor.store import StoredArticle
from monitor.store.records import StoryRecord
from monitor.store.sqlite.store import SqliteStore
from monitor.surges import Sighting, Surge, SurgeDetector, SurgeKind, surge_id

NOW = datetime.now(UTC).replace(microsecond=0)
# What the learned hour-of-week profile expects of the backtest's burst depends on the
# burst's hour of the week, so its store is anchored to one: the last Wednesday noon UTC
# (within --since 30d), whatever the time the test runs.
_WEEK_AGO = (NOW - timedelta(days=7)).replace(hour=12, minute=0, second=0)
BURST_NOW = _WEEK_AGO + timedelta(days=(2 - _WEEK_AGO.weekday()) % 7)
RISING_MIN_COUNT = 30  # the listing tests' minimum count: a strong climb that cannot fire
RISING_CONFIG = f"[surge]\nmin_count = {RISING_MIN_COUNT}"
FIELDS = [
    "state", "surge_id", "kind", "key", "label", "rule", "count", "expected", "score",
    "outlets", "window_start", "window_end", "fired_at", "top_stories", "top_outlets",
    "folded_into",
]  # fmt: skip


def _config(tmp_path: Path, surge: str = "") -> str:
    path = tmp_path / "wirewatch.toml"
    path.write_text(f"""
[store]
path = "{tmp_path / "cli.db"}"
{surge}

[[rules]]
name = "quakes"
any_of = [{{ terms = ["quake"] }}]
""")
    return str(path)


def _fired(key: str, ago: timedelta) -> Surge:
    start, end = NOW - ago - timedelta(hours=1), NOW - ago
    return Surge(
        surge_id=surge_id(SurgeKind.NAME, key, start), kind=SurgeKind.NAME, key=key,
        label=key.title(), window_start=start, window_end=end, fired_at=end, count=14,
        expected=1.25, outlets=9, score=11.3,
        top_stories=(("s1", "Взрыв в порту\x1b[2J Бейрута", 7),), top_outlets=("wire:Reuters",),
    )  # fmt: skip


def _rising_state() -> bytes:
    """A detector that saw two days of one unnamed story every half hour, then 'Odesa',
    a name it never saw before, in twelve stories from twelve outlets in the last 35
    minutes: rising, not fired (below the minimum count), at any hour of the week."""
    detector = SurgeDetector(SurgeSettings(min_count=RISING_MIN_COUNT))
    for index in range(96):
        at = NOW - timedelta(days=2, minutes=-30 * index)
        routine = Sighting(at, f"bg{index}", f"http://o{index % 7}.test/feed", "Fair")
        assert detector.observe(routine) == []
    start = NOW - timedelta(minutes=35)
    for index in range(12):
        at = start + timedelta(minutes=2 * index)
        outlet, names = f"http://o{index}.test/feed", (("odesa", "Odesa"),)
        sighting = Sighting(at, f"odesa-{index}", outlet, "Odesa port hit", names=names)
        assert detector.observe(sighting) == []
    return detector.snapshot()


async def _seed(tmp_path: Path, fired: list[Surge], state: bytes | None) -> None:
    store = SqliteStore(str(tmp_path / "cli.db"))
    await store.open()
    try:
        await store.record_surges(fired)
        if state is not None:
            await store.save_surge_state(state)
    finally:
        await store.close()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_surges_lists_what_fired_and_what_is_rising(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, RISING_CONFIG)
    fired = [_fired("beirut", timedelta(hours=2)), _fired("tripoli", timedelta(days=3))]
    asyncio.run(_seed(tmp_path, fired, _rising_state()))
    status, out, _ = _run(["surges", "--config", config], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("1 surge fired since ")
    assert lines[1].split()[:2] == ["name", "Beirut"]
    assert "14 reports from 9 outlets, 1.2 expected (score 11.3)" in lines[1]
    assert "surge:name:beirut" in lines[2]
    assert lines[3] == "      · Взрыв в порту Бейрута (7 outlets)"  # no escape reaches a tty
    assert lines[5] == "1 surge rising now:"
    assert lines[6].split()[:2] == ["name", "Odesa"] and "surge:name:odesa" in lines[6]
    status, out, _ = _run(["surges", "--config", config, "--since", "7d"], capsys)
    assert out.splitlines()[0].startswith("2 surges fired since ")


def test_surges_json_has_the_same_fields_for_every_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, RISING_CONFIG)
    asyncio.run(_seed(tmp_path, [_fired("beirut", timedelta(hours=2))], _rising_state()))
    status, out, _ = _run(["surges", "--config", config, "--json"], capsys)
    assert status == 0
    fired, rising = (json.loads(line) for line in out.splitlines())
    assert list(fired) == list(rising) == FIELDS
    assert (fired["state"], fired["rule"], fired["count"], fired["outlets"]) == (
        "fired", "surge:name:beirut", 14, 9,
    )  # fmt: skip
    assert fired["top_stories"] == [
        {"story_id": "s1", "title": "Взрыв в порту\x1b[2J Бейрута", "outlets": 7}
    ]
    assert (rising["state"], rising["key"], rising["count"]) == ("rising", "odesa", 12)
    assert rising["surge_id"] is None and rising["top_stories"] == []
    assert fired["folded_into"] is None is rising["folded_into"]  # twelve stories: not folded


def _one_story_rising_state() -> bytes:
    """As ``_rising_state``, but 'Odesa' is in one story (twelve outlets) and in one
    other story's single report: the name is mostly that story's."""
    detector = SurgeDetector(SurgeSettings(min_count=RISING_MIN_COUNT))
    for index in range(96):
        at = NOW - timedelta(days=2, minutes=-30 * index)
        routine = Sighting(at, f"bg{index}", f"http://o{index % 7}.test/feed", "Fair")
        assert detector.observe(routine) == []
    start, names = NOW - timedelta(minutes=35), (("odesa", "Odesa"),)
    for index in range(12):
        at, outlet = start + timedelta(minutes=2 * index), f"http://o{index}.test/feed"
        sighting = Sighting(at, "odesa", outlet, "Odesa port hit", names=names)
        assert detector.observe(sighting) == []
    other = Sighting(NOW - timedelta(minutes=5), "ferry", "http://o1.test/feed", "Ferry",
                     names=names)  # fmt: skip
    assert detector.observe(other) == []
    return detector.snapshot()


def test_a_rising_name_mostly_one_storys_is_shown_folded_into_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As its alert would be: the name would not fire itself, its story's surge would."""
    config = _config(tmp_path, RISING_CONFIG)
    asyncio.run(_seed(tmp_path, [], _one_story_rising_state()))
    status, out, _ = _run(["surges", "--config", config, "--json"], capsys)
    names = [json.loads(line) for line in out.splitlines()]
    names = [record for record in names if record["kind"] == "name"]
    assert status == 0 and [record["key"] for record in names] == ["odesa"]
    assert names[0]["folded_into"] == {"story_id": "odesa", "title": "Odesa port hit"}
    status, out, _ = _run(["surges", "--config", config], capsys)
    lines = out.splitlines()
    at = next(index for index, line in enumerate(lines) if "surge:name:odesa" in line)
    assert lines[at + 1] == "      folded into the story: Odesa port hit"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["surges", "--since", "yesterday"], "use a duration"),
        (["surges", "backtest", "--since", "soon"], "use a duration"),
    ],
)
def test_a_bad_since_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, _, err = _run([*argv, "--config", _config(tmp_path)], capsys)
    assert status == 1 and message in err


def test_before_the_first_run_nothing_is_listed_and_no_store_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(["surges", "--config", _config(tmp_path)], capsys)
    assert status == 0
    assert out.splitlines() == [out.splitlines()[0], "0 surges rising now:"]
    assert out.startswith("0 surges fired since ")
    assert not (tmp_path / "cli.db").exists()


def test_an_unreadable_saved_state_is_said_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    asyncio.run(_seed(tmp_path, [], b"not a detector state"))
    status, out, err = _run(["surges", "--config", config], capsys)
    assert status == 0 and "0 surges rising now:" in out
    assert "the saved surge state cannot be read" in err


@pytest.fixture(name="burst_store")
def _burst_store(tmp_path: Path) -> str:
    """Two days of routine stories, then two quake stories in Kunming from 12 outlets."""
    asyncio.run(_store_articles(tmp_path))
    return _config(tmp_path)


def _article(article_id: str, feed: str, title: str, at: datetime) -> Article:
    return Article(
        article_id=article_id, feed_url=feed, feed_name=feed.split("/")[2], guid=article_id,
        title=title, link=f"https://{feed.split('/')[2]}/{article_id}", summary="",
        content="", published=at, fetched_at=at,
    )  # fmt: skip


async def _store_articles(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "cli.db"))
    await store.open()
    try:
        start = BURST_NOW - timedelta(days=2)
        for index in range(96):
            feed, at = f"http://o{index % 7}.test/feed", start + timedelta(minutes=30 * index)
            facts = StoryFacts(outlet=feed, places=(f"Town{index % 5}",))
            decision = DedupDecision(Verdict.NEW_STORY, f"bg{index}", facts=facts)
            await store.record_article(
                _article(f"a{index}", feed, f"Fair {index}", at), decision, []
            )
        burst = BURST_NOW - timedelta(hours=1)
        for index in range(12):
            feed, at = f"http://w{index}.test/feed", burst + timedelta(minutes=2 * index)
            facts = StoryFacts(outlet=feed, places=("Kunming",))
            story = ("quake", "quake-aftershock")[index % 2]  # two stories: the name spans them
            verdict = Verdict.FOLDED if index > 1 else Verdict.NEW_STORY
            article = _article(f"q{index}", feed, "Quake hits Kunming", at)
            await store.record_article(article, DedupDecision(verdict, story, facts=facts), [])
    finally:
        await store.close()


def test_backtest_prints_what_would_have_fired(
    burst_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(["surges", "backtest", "--config", burst_store, "--json"], capsys)
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert all(list(record) == FIELDS and record["state"] == "would_fire" for record in records)
    assert {(record["kind"], record["key"]) for record in records} == {
        ("rule", "quakes"), ("name", "kunming"), ("story", "quake"), ("story", "quake-aftershock"),
    }  # fmt: skip
    name = next(record for record in records if record["kind"] == "name")
    # At the minimum count: the burst's own articles do not raise what its hour expects
    # (they reach the hour-of-week profile when the hour is over).
    assert (name["label"], name["count"], name["outlets"]) == ("Kunming", 6, 6)
    assert name["top_stories"][0]["title"] == "Quake hits Kunming"
    status, out, _ = _run(["surges", "backtest", "--config", burst_store], capsys)
    assert out.splitlines()[0].startswith("4 surges would have fired over the articles stored")


def test_backtest_before_the_burst_fires_nothing(
    burst_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    since = (NOW - timedelta(days=30)).isoformat()
    status, out, _ = _run(["surges", "backtest", "--config", burst_store, "--since", since], capsys)
    assert status == 0 and out.startswith("4 surges")
    status, out, _ = _run(["surges", "backtest", "--config", burst_store, "--since", "30m"], capsys)
    assert status == 0 and out.startswith("0 surges would have fired")


async def _surge_alert(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "cli.db"))
    await store.open()
    try:
        article = _article("k1", "http://w1.test/feed", "Quake hits Kunming", NOW)
        await store.record_article(article, DedupDecision(Verdict.NEW_STORY, "quake"), [])
        surge = _fired("kunming", timedelta(minutes=5))
        surge = replace(surge, top_stories=(("quake", "Quake hits Kunming", 7),))
        planned = surge_alerts([surge], SurgeSettings(notifiers=("hook",)), Routes(("hook",)))
        await store.record_surge_alerts([surge], planned)
    finally:
        await store.close()


def test_alerts_names_a_surge_alert_a_surge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_surge_alert(tmp_path))
    status, out, _ = _run(["alerts", "--config", _config(tmp_path)], capsys)
    assert status == 0
    assert "MEDIUM  surge:name:kunming  surge  Quake hits Kunming" in out.splitlines()[0]


def test_alerts_json_gives_a_surge_alert_event_new_and_its_surge_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_surge_alert(tmp_path))
    status, out, _ = _run(["alerts", "--config", _config(tmp_path), "--json"], capsys)
    listed = json.loads(out.splitlines()[0])
    expected = _fired("kunming", timedelta(minutes=5)).surge_id
    assert status == 0
    assert (listed["event"], listed["surge_id"]) == ("new", expected)


@pytest.mark.parametrize(
    ("before", "first_line"),
    [
        (["--since", "30m"], "0 surges would have fired"),  # not backtest's 30 days
        (["--json"], '{"state": "would_fire"'),  # not backtest's own "no --json"
    ],
)
def test_options_given_before_backtest_are_kept(
    burst_store: str, capsys: pytest.CaptureFixture[str], before: list[str], first_line: str
) -> None:
    status, out, _ = _run(["surges", *before, "backtest", "--config", burst_store], capsys)
    assert status == 0 and out.startswith(first_line)


async def test_a_backtest_keeps_the_names_of_the_stories_met_last_only(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "names.db"))
    await store.open()
    try:
        met = []
        for n, place in enumerate(("Kunming", "Табриз", "تبریز")):
            article = _article(f"k{n}", "http://w1.test/feed", f"Quake {n}", NOW)
            facts = StoryFacts(outlet="http://w1.test/feed", places=(place,))
            decision = DedupDecision(Verdict.NEW_STORY, f"s{n}", facts=facts)
            await store.record_article(article, decision, [])
            met.append(StoredArticle(article, f"s{n}", "http://w1.test/feed"))
        names = _StoryNames(store, keep=2)
        seen = [(await names.facts(stored)).places for stored in (*met, met[0])]
        assert seen == [("Kunming",), ("Табриз",), ("تبریز",), ("Kunming",)]  # read again
        assert len(names) == 2
    finally:
        await store.close()


class _CountingStore(SqliteStore):
    """The real store, counting the story reads a backtest makes."""

    story_reads: list[str]

    async def story(self, story_id: str) -> StoryRecord | None:
        self.story_reads.append(story_id)
        return await super().story(story_id)


async def test_a_backtest_reads_each_story_once_not_once_per_article(tmp_path: Path) -> None:
    """108 articles of 98 stories (the burst's 12 in two of them): 98 story reads."""
    await _store_articles(tmp_path)
    store = _CountingStore(str(tmp_path / "cli.db"))
    store.story_reads = []
    await store.open()
    try:
        config = load_config(_config(tmp_path))
        fired = await run_surge_backtest(config, store, BURST_NOW - timedelta(days=3))
    finally:
        await store.close()
    assert fired and sorted(store.story_reads) == sorted(set(store.story_reads))
    assert len(store.story_reads) == 98
