"""Config reload in a running daemon: feeds, rules and notifiers change without a restart, one
reload at a time, and what a restart would be needed for is named (how a reload is asked for
and a broken file: test_reload_requests.py). Real feed server, real webhook receiver, real
SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.feeds import FeedSettings
from monitor.config.settings import DaemonSettings, load_config
from monitor.daemon.polling import next_poll_within
from monitor.daemon.reload import config_changes
from monitor.daemon.scheduler import feed_job_id
from monitor.feeds.health import interval_policy
from monitor.records.models import FeedState
from tests.support.daemon_process import HANG_GUARD
from tests.support.receiver import HttpReceiver
from tests.support.reload_world import CRANES, FLOODS, Start, World
from tests.support.reload_world import alerts as _alerts
from tests.support.reload_world import jobs as _jobs
from tests.support.reload_world import rss as _rss


async def test_reload_adds_a_feed_and_a_rule_that_fires_without_restart(
    reload_world: World, start_reload_daemon: Start
) -> None:
    reload_world.write("/a.xml")
    daemon = await start_reload_daemon()
    assert [alert["rule"] for alert in await _alerts(reload_world, 1)] == ["cranes"]
    reload_world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS)

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.feeds_added == (reload_world.url("/b.xml"),)
    assert result.changes.rules_added == ("floods",)
    assert result.changes.notifiers_changed == ()
    assert _jobs(daemon) == {
        feed_job_id(reload_world.url("/a.xml")),
        feed_job_id(reload_world.url("/b.xml")),
    }
    alerts = await _alerts(reload_world, 2)  # the new feed is polled, the new rule fires
    assert alerts[1]["rule"] == "floods"
    assert alerts[1]["title"] == "Floods close the river port"
    assert reload_world.feeds.requests_to("/b.xml")


async def test_reload_removes_a_feed_job_and_keeps_its_stored_state(
    reload_world: World, start_reload_daemon: Start
) -> None:
    reload_world.write("/a.xml", "/b.xml", rules=FLOODS)
    daemon = await start_reload_daemon()
    await _alerts(reload_world, 1)  # the river feed's poll is done and stored
    river = reload_world.url("/b.xml")
    assert river in daemon.pipeline.seen_hints
    reload_world.write("/a.xml", rules=CRANES + FLOODS)

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.feeds_removed == (river,)
    assert _jobs(daemon) == {feed_job_id(reload_world.url("/a.xml"))}
    state = await daemon.store.feed_state(river)
    assert state is not None
    assert state.last_success is not None  # its ETag and history wait for its return
    assert river not in daemon.pipeline.seen_hints  # its parse hint goes with its job


async def test_reload_reschedules_a_feed_whose_interval_shrank(
    reload_world: World, start_reload_daemon: Start
) -> None:
    reload_world.write("/a.xml interval = 3600")
    daemon = await start_reload_daemon()
    await _alerts(reload_world, 1)
    harbour = reload_world.url("/a.xml")
    state = await daemon.store.feed_state(harbour)
    assert state is not None
    assert state.last_polled is not None
    assert daemon.polling is not None
    assert daemon.polling.scheduler is not None
    before = daemon.polling.scheduler.get_job(feed_job_id(harbour))
    assert before.next_run_time > state.last_polled + timedelta(seconds=300)
    reload_world.write("/a.xml interval = 300")

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.feeds_changed == (harbour,)
    job = daemon.polling.scheduler.get_job(feed_job_id(harbour))
    assert job.args[0].interval == 300  # the job polls with the new settings
    assert job.next_run_time <= state.last_polled + timedelta(seconds=300)


async def test_reload_replaces_a_changed_notifier_and_keeps_an_unchanged_one(
    reload_world: World, start_reload_daemon: Start
) -> None:
    reload_world.write("/a.xml")
    daemon = await start_reload_daemon()
    await _alerts(reload_world, 1)
    with HttpReceiver() as moved:
        text = reload_world.path.read_text().replace(
            reload_world.receiver.url("/hook"), moved.url("/new")
        )
        reload_world.path.write_text(text + '\n[notifiers.log]\ntype = "console"\n')
        old_hook = daemon.channels["hook"]

        result = await daemon.reloader.reload()

        assert result.ok, result.errors
        assert result.changes is not None
        assert (result.changes.notifiers_changed, result.changes.notifiers_added) == (
            ("hook",), ("log",),
        )  # fmt: skip
        assert daemon.channels["hook"] is not old_hook
        assert set(daemon.channels) == {"hook", "log"}
        reload_world.feeds.add_feed("/a.xml", _rss("Harbour Wire", [("Second crane falls", "a-2")]))
        assert (await daemon.poll(daemon.config.feeds[0])).alerts == 1
        (sent,) = await asyncio.to_thread(moved.wait_for, 1, HANG_GUARD)
    assert sent.json()["title"] == "Second crane falls"
    assert len(reload_world.receiver.requests) == 1  # the old address got nothing more


async def test_reloads_run_one_at_a_time(reload_world: World, start_reload_daemon: Start) -> None:
    reload_world.write("/a.xml")
    daemon = await start_reload_daemon()
    reload_world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS)

    first, second = await asyncio.gather(daemon.reloader.reload(), daemon.reloader.reload())

    assert first.ok and second.ok
    assert first.changes is not None and second.changes is not None
    assert first.changes.feeds_added == (reload_world.url("/b.xml"),)
    assert second.changes.feeds_added == ()  # it ran after the first, against its result


async def test_reload_moves_the_housekeeping_jobs(
    reload_world: World, start_reload_daemon: Start
) -> None:
    reload_world.write("/a.xml")
    daemon = await start_reload_daemon()
    await _alerts(reload_world, 1)
    assert daemon.polling is not None
    scheduler = daemon.polling.scheduler
    assert scheduler is not None
    assert scheduler.get_job("retention") is not None
    reload_world.write("/a.xml")
    text = reload_world.path.read_text().replace(
        "dispatch_interval = 3600", "dispatch_interval = 60"
    )
    reload_world.path.write_text(text + "\n[retention]\nenabled = false\n")

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.settings_changed == ("daemon.dispatch_interval", "retention")
    assert scheduler.get_job("dispatch").trigger.interval == timedelta(seconds=60)
    assert scheduler.get_job("retention") is None


def _config_at(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_changes_name_what_a_restart_would_be_needed_for(tmp_path: Path) -> None:
    old = _config_at(tmp_path, "old.toml", '[store]\npath = "a.db"\n')
    new = _config_at(
        tmp_path, "new.toml",
        '[store]\npath = "b.db"\n[daemon]\nconcurrency = 4\njitter = 5\n[listener]\nport = 9999\n'
        '[surge]\nnotifiers = ["out"]\nseverity = "high"\nmin_count = 12\n'
        '[notifiers.out]\ntype = "console"\n',
    )  # fmt: skip
    changes = config_changes(load_config(old), load_config(new))
    assert changes.needs_restart == (
        "daemon.concurrency", "store", "listener", "surge.min_count",
    )  # fmt: skip
    assert changes.settings_changed == ("daemon.jitter", "surge.notifiers", "surge.severity")
    assert changes.feeds_added == ()


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

LAST = NOW - timedelta(seconds=100)

LONG_AGO = NOW - timedelta(hours=2)


@pytest.mark.parametrize(
    ("state", "interval", "expected"),
    [
        pytest.param(None, 300, None, id="never-polled"),
        pytest.param(
            FeedState("u", last_polled=LAST, next_poll=LAST + timedelta(seconds=3600)),
            300, LAST + timedelta(seconds=300), id="shorter-interval-pulls-in",
        ),
        pytest.param(
            FeedState("u", last_polled=LAST, next_poll=NOW + timedelta(seconds=60)),
            300, NOW + timedelta(seconds=60), id="longer-interval-keeps-the-next-poll",
        ),
        pytest.param(
            FeedState("u", last_polled=LONG_AGO, next_poll=NOW + timedelta(hours=1)),
            300, NOW, id="overdue-polls-now",
        ),
        pytest.param(
            FeedState("u", last_polled=LAST, next_poll=NOW + timedelta(hours=5), error_count=3),
            300, NOW + timedelta(hours=5), id="backoff-kept",
        ),
    ],
)  # fmt: skip
def test_next_poll_after_an_interval_change(
    state: FeedState | None, interval: float, expected: datetime | None
) -> None:
    feed = FeedSettings(url="https://news.example/feed", interval=interval)
    policy = interval_policy(feed, DaemonSettings())
    assert next_poll_within(state, policy, NOW) == expected
