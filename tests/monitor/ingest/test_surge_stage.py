"""The ingest path feeds the surge detector: twelve outlets polled by the real daemon
report one event; the story, its rule and its place surge, are recorded and logged,
and what the detector learned survives a restart; a poll its write let go alone is
counted at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import monitor.ingest.surges as surge_stage
from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.ingest.surges import Handed, count_polls
from monitor.records import PollStatus
from monitor.surges import Surge, SurgeDetector, SurgeKind
from monitor.surges.state import load_memory
from tests.support.feedserver import FeedServer
from tests.support.metrics_scrape import parse

OUTLETS = 12
HEADLINE = "Iranian troops cross into Latakia province"
SURGE = (
    "[surge]\nwarmup_hours = 0\nsensitivity = 0.01\nmin_count = 5\nmin_outlets = 5\n"
    "names = {names}\nstories = {stories}\n"
)


def _rss(outlet: int, dated: bool = True) -> bytes:
    published = datetime.now(UTC) - timedelta(minutes=outlet)
    date = f"<pubDate>{published:%a, %d %b %Y %H:%M:%S +0000}</pubDate>" if dated else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Outlet {outlet}</title><link>http://o{outlet}.test/</link>
<item><title>{HEADLINE}</title><link>http://o{outlet}.test/a/1</link>
<guid>o{outlet}-1</guid>{date}
<description>Outlet {outlet} reports the crossing.</description></item>
</channel></rss>""".encode()


@pytest.fixture(name="server")
def _server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        for outlet in range(OUTLETS):
            server.add_feed(f"/feed{outlet}.xml", _rss(outlet))
        yield server


def _config(tmp_path: Path, server: FeedServer, surge: str, outlets: int = OUTLETS) -> Path:
    feeds = "".join(
        f'[[feeds]]\nname = "Outlet {n}"\nurl = "{server.url(f"/feed{n}.xml")}"\n'
        for n in range(outlets)
    )
    path = tmp_path / "ww.toml"
    path.write_text(
        f'[daemon]\njitter = 0\nhost_spacing = 0\nparse_workers = 0\n[store]\npath = "'
        f'{tmp_path / "ww.db"}"\n[dedup]\nsemantic = false\n{surge}\n{feeds}'
        '[notifiers.out]\ntype = "console"\nenabled = false\n'
        '[entities.iran]\nentries = [{ name = "Iran", aliases = ["Iranian"] }]\n'
        '[[rules]]\nname = "iran"\nall_of = ["iran"]\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("stories", "expected"),
    [
        ("true", {("story", HEADLINE)}),  # its rule and names are its parts: one flag
        ("false", {("rule", "iran"), ("name", "latakia"), ("name", "iran")}),
    ],
)
async def test_one_event_from_twelve_outlets_surges_and_is_recorded(
    tmp_path: Path, server: FeedServer, stories: str, expected: set[tuple[str, str]]
) -> None:
    config = load_config(_config(tmp_path, server, SURGE.format(names="true", stories=stories)))
    daemon = await Daemon.build(config)
    heard: list[Surge] = []

    async def sink(surges: Sequence[Surge]) -> None:  # the sink records what it is handed
        heard.extend(surges)
        await daemon.store.record_surges(surges)

    assert daemon.pipeline.surges is not None
    daemon.pipeline.surges.sink = sink  # where surge alerts hook in
    try:
        with capture_logs() as logs:
            await daemon.run_once()
        recorded = await daemon.store.list_surges(datetime.now(UTC) - timedelta(days=1))
    finally:
        await daemon.close()
    assert sorted(heard, key=lambda surge: surge.surge_id) == sorted(
        recorded, key=lambda surge: surge.surge_id
    )
    kinds = {(surge.kind.value, surge.label if surge.kind.value == "story" else surge.key)
             for surge in recorded}  # fmt: skip
    assert kinds == expected  # "iranian" is not there: the alias is its entry
    logged = [entry for entry in logs if entry["event"] == "surge_detected"]
    assert sorted((entry["kind"], entry["key"]) for entry in logged) == sorted(
        (surge.kind.value, surge.key) for surge in recorded
    )
    for surge in recorded:
        assert surge.outlets >= 5 and surge.top_stories[0][1] == HEADLINE


async def test_what_was_learned_survives_a_restart(tmp_path: Path, server: FeedServer) -> None:
    config = load_config(_config(tmp_path, server, SURGE.format(names="false", stories="true")))
    first = await Daemon.build(config)
    try:
        await first.run_once()
        assert first.pipeline.surges is not None
        learned = first.pipeline.surges.detector.snapshot()
    finally:
        await first.close()
    second = await Daemon.build(config)
    try:
        assert second.pipeline.surges is not None
        assert second.pipeline.surges.detector.snapshot() == learned
        assert await second.store.load_surge_state() == learned
        assert SurgeDetector(config.settings.surge, learned).tracked()[SurgeKind.STORY] == 1
    finally:
        await second.close()


async def test_surges_turned_off_build_no_stage_and_record_nothing(
    tmp_path: Path, server: FeedServer
) -> None:
    config = load_config(_config(tmp_path, server, "[surge]\nenabled = false\n"))
    daemon = await Daemon.build(config)
    try:
        assert daemon.pipeline.surges is None
        await daemon.run_once()
        assert await daemon.store.list_surges(datetime.now(UTC) - timedelta(days=1)) == []
        assert await daemon.store.load_surge_state() is None
    finally:
        await daemon.close()


async def test_a_store_error_recording_surges_is_logged_and_the_poll_succeeds(
    tmp_path: Path, server: FeedServer
) -> None:
    surge = SURGE.format(names="false", stories="false")
    daemon = await Daemon.build(load_config(_config(tmp_path, server, surge)))
    with sqlite3.connect(tmp_path / "ww.db") as db:  # a real store error, not "read-only"
        db.execute("DROP TABLE surges")
    try:
        with capture_logs() as logs:
            await daemon.run_once()
        states = await daemon.store.feed_states()
    finally:
        await daemon.close()
    failed = [entry for entry in logs if entry["event"] == "surge_record_failed"]
    assert {(entry["kind"], entry["key"]) for entry in failed} >= {("rule", "iran")}
    assert all("surges" in entry["error"] for entry in failed)
    assert not [entry for entry in logs if entry["event"] == "feed_poll_crashed"]
    assert len(states) == OUTLETS
    assert all(state.error_count == 0 and state.last_success for state in states)


async def test_a_poll_whose_surge_count_fails_is_logged_once_with_its_feed(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detector raising on one poll's article fails that poll: the surge stage logs
    it (surge_count_failed, with its feed and the error) and the daemon says no more."""
    surge = SURGE.format(names="false", stories="false")
    daemon = await Daemon.build(load_config(_config(tmp_path, server, surge)))
    count, calls = SurgeDetector.count, []

    def failing_first(detector: SurgeDetector, *args: Any, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("a detector fault")
        count(detector, *args, **kwargs)

    monkeypatch.setattr(SurgeDetector, "count", failing_first)
    try:
        with capture_logs() as logs:
            await daemon.run_once()
    finally:
        await daemon.close()
    failed = [entry for entry in logs if entry["event"] == "surge_count_failed"]
    assert [entry["error"] for entry in failed] == ["RuntimeError: a detector fault"]
    assert failed[0]["feed_url"] in {feed.url for feed in daemon.config.feeds}
    assert not [entry for entry in logs if entry["event"] == "feed_poll_crashed"]
    assert len(calls) == OUTLETS


def _failing(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("a detector fault")


async def test_a_poll_whose_surge_count_fails_keeps_what_it_stored_and_sends_its_alert(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outcome a push has too (test_websub): the poll counts as an error in
    ``wirewatch_polls_total``, yet its article stays stored, its alert is queued and the
    dispatcher woken at once, and the feed's state moves on (a second fetch would bring
    nothing new to count)."""
    surge = SURGE.format(names="false", stories="false")
    daemon = await Daemon.build(load_config(_config(tmp_path, server, surge, outlets=1)))
    monkeypatch.setattr(SurgeDetector, "count", _failing)
    woken: list[bool] = []
    daemon.pipeline.on_alerts = lambda: woken.append(True)
    (feed,) = daemon.config.feeds
    try:
        outcome = await daemon.poll(feed)
        stored = await daemon.store.known_guids(feed.url, ["o0-1"])
        state = await daemon.store.feed_state(feed.url)
        scraped = parse(daemon.metrics.render().decode())
    finally:
        await daemon.close()
    assert (outcome.status, outcome.alerts) == (PollStatus.ERROR, 1)
    assert outcome.error == "surge count: RuntimeError: a detector fault"
    assert stored == {"o0-1"}
    assert woken == [True]
    assert state is not None and state.last_success is not None and state.error_count == 0
    assert scraped.value("wirewatch_polls_total", outcome="error") == 1


async def test_the_state_is_saved_as_soon_as_surges_fire(
    tmp_path: Path, server: FeedServer
) -> None:
    surge = SURGE.format(names="false", stories="false") + "save_interval = 86400\n"
    daemon = await Daemon.build(load_config(_config(tmp_path, server, surge)))
    try:
        await daemon.run_once()  # a crash here, before any shutdown save, keeps the cooldown
        saved = await daemon.store.load_surge_state()
    finally:
        await daemon.close()
    assert saved is not None
    assert load_memory(saved).tracks[SurgeKind.RULE]["iran"].cooled_until > 0


async def test_a_new_feeds_undated_backlog_is_history_not_news(tmp_path: Path) -> None:
    """Twelve feeds polled for the first time carry the event without dates: their items
    may be of any age, all seen at the fetch, so they feed the baselines and fire nothing
    (dated, as above, the same items surge)."""
    with FeedServer() as server:
        for outlet in range(OUTLETS):
            server.add_feed(f"/feed{outlet}.xml", _rss(outlet, dated=False))
        surge = SURGE.format(names="true", stories="false")
        daemon = await Daemon.build(load_config(_config(tmp_path, server, surge)))
        try:
            await daemon.run_once()
            recorded = await daemon.store.list_surges(datetime.now(UTC) - timedelta(days=1))
            assert daemon.pipeline.surges is not None
            learned = load_memory(daemon.pipeline.surges.detector.snapshot())
        finally:
            await daemon.close()
    assert recorded == []
    assert learned.tracks[SurgeKind.RULE]["iran"].baseline > 0  # remembered as history
    assert learned.tracks[SurgeKind.STORY] == {}  # no story opened by a backlog


async def test_a_poll_its_write_let_go_alone_is_counted_without_gathering(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One feed polled: its write is the only one its commit lets go, so the surge stage
    counts its articles at once, gathering no count for other polls."""
    gathered: list[int] = []

    def counted(detector: SurgeDetector, handed: list[Handed], *rest: Any) -> list[list[Surge]]:
        gathered.append(len(handed))
        return count_polls(detector, handed, *rest)

    monkeypatch.setattr(surge_stage, "count_polls", counted)
    surge = SURGE.format(names="true", stories="true")
    daemon = await Daemon.build(load_config(_config(tmp_path, server, surge, outlets=1)))
    try:
        await daemon.run_once()
        assert daemon.pipeline.writer.released == 1
        assert daemon.pipeline.surges is not None
        assert daemon.pipeline.surges.detector.tracked()[SurgeKind.STORY] == 1  # counted
    finally:
        await daemon.close()
    assert gathered == []
