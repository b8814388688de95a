"""Config reload in a running daemon: feeds, rules and notifiers change without a restart;
a broken file changes nothing. Real feed server, real webhook receiver, real SQLite."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from monitor.config.feeds import FeedSettings
from monitor.config.settings import DaemonSettings, load_config
from monitor.daemon.daemon import Daemon
from monitor.daemon.polling import next_poll_within
from monitor.daemon.reload import config_changes
from monitor.daemon.scheduler import feed_job_id
from monitor.feeds.health import interval_policy
from monitor.records.models import FeedState
from tests.support.daemon_process import HANG_GUARD, DaemonProcess
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver


def _rss(title: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{headline}</title><guid>{guid}</guid>"
        f"<link>https://news.example/{guid}</link></item>"
        for headline, guid in items
    )
    channel = f"<channel><title>{title}</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


HARBOUR = _rss("Harbour Wire", [("Crane collapse shuts northern harbour", "a-1")])
RIVER = _rss("River Desk", [("Floods close the river port", "b-1")])
CRANES = """
[[rules]]
name = "cranes"
any_of = [{ terms = ["crane"] }]
"""
FLOODS = """
[[rules]]
name = "floods"
any_of = [{ terms = ["flood*"] }]
"""


@dataclass
class World:
    path: Path
    feeds: FeedServer
    receiver: HttpReceiver

    def write(self, *paths: str, rules: str = CRANES, listener: str = "enabled = false") -> None:
        # full_text = "never": the entries link to news.example, no page is to be fetched.
        feeds = "".join(f'[[feeds]]\nurl = "{self.feeds.url(p)}"\nfull_text = "never"\n{extra}\n'
                        for p, extra in (_split(p) for p in paths))  # fmt: skip
        self.path.write_text(f"""
[daemon]
jitter = 0
host_spacing = 0  # every test feed is on 127.0.0.1
parse_workers = 0
dispatch_interval = 3600
shutdown_timeout = 10
[log]
format = "json"
[listener]
{listener}
[store]
path = "{self.path.parent / "ww.db"}"
[notifiers.hook]
type = "webhook"
url = "{self.receiver.url("/hook")}"
{feeds}
{rules}
""")

    def url(self, path: str) -> str:
        return self.feeds.url(path)

    def alerts(self, count: int) -> list[dict[str, object]]:
        return [request.json() for request in self.receiver.wait_for(count, HANG_GUARD)]


def _split(spec: str) -> tuple[str, str]:
    """``"/a.xml interval = 300"``: the feed's path and extra keys of its table."""
    path, _, rest = spec.partition(" ")
    return path, rest


@pytest.fixture(name="world")
def _world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, HttpReceiver() as receiver:
        feeds.add_feed("/a.xml", HARBOUR, etag='"a1"')
        feeds.add_feed("/b.xml", RIVER, etag='"b1"')
        yield World(tmp_path / "ww.toml", feeds, receiver)


Start = Callable[[], Awaitable[Daemon]]


@pytest.fixture(name="run")
async def _run(world: World) -> AsyncIterator[Start]:
    """Starts a daemon on the config the test wrote, running its schedule in this loop."""
    running: list[tuple[Daemon, asyncio.Event, asyncio.Task[None]]] = []

    async def start() -> Daemon:
        daemon = await Daemon.build(load_config(world.path))
        stop = asyncio.Event()
        running.append((daemon, stop, asyncio.create_task(daemon.run_forever(stop))))
        return daemon

    yield start
    for daemon, stop, task in running:
        stop.set()
        await task
        await daemon.close()


def _jobs(daemon: Daemon) -> set[str]:
    assert daemon.polling is not None
    assert daemon.polling.scheduler is not None
    return {job.id for job in daemon.polling.scheduler.get_jobs() if job.id.startswith("poll:")}


async def _alerts(world: World, count: int) -> list[dict[str, object]]:
    return await asyncio.to_thread(world.alerts, count)


async def test_reload_adds_a_feed_and_a_rule_that_fires_without_restart(
    world: World, run: Start
) -> None:
    world.write("/a.xml")
    daemon = await run()
    assert [alert["rule"] for alert in await _alerts(world, 1)] == ["cranes"]
    world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS)

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.feeds_added == (world.url("/b.xml"),)
    assert result.changes.rules_added == ("floods",)
    assert result.changes.notifiers_changed == ()
    assert _jobs(daemon) == {feed_job_id(world.url("/a.xml")), feed_job_id(world.url("/b.xml"))}
    alerts = await _alerts(world, 2)  # the new feed is polled, the new rule fires
    assert alerts[1]["rule"] == "floods"
    assert alerts[1]["title"] == "Floods close the river port"
    assert world.feeds.requests_to("/b.xml")


async def test_reload_removes_a_feed_job_and_keeps_its_stored_state(
    world: World, run: Start
) -> None:
    world.write("/a.xml", "/b.xml", rules=FLOODS)
    daemon = await run()
    await _alerts(world, 1)  # the river feed's poll is done and stored
    river = world.url("/b.xml")
    assert river in daemon.pipeline.seen_hints
    world.write("/a.xml", rules=CRANES + FLOODS)

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.feeds_removed == (river,)
    assert _jobs(daemon) == {feed_job_id(world.url("/a.xml"))}
    state = await daemon.store.feed_state(river)
    assert state is not None
    assert state.last_success is not None  # its ETag and history wait for its return
    assert river not in daemon.pipeline.seen_hints  # its parse hint goes with its job


async def test_reload_reschedules_a_feed_whose_interval_shrank(world: World, run: Start) -> None:
    world.write("/a.xml interval = 3600")
    daemon = await run()
    await _alerts(world, 1)
    harbour = world.url("/a.xml")
    state = await daemon.store.feed_state(harbour)
    assert state is not None
    assert state.last_polled is not None
    assert daemon.polling is not None
    assert daemon.polling.scheduler is not None
    before = daemon.polling.scheduler.get_job(feed_job_id(harbour))
    assert before.next_run_time > state.last_polled + timedelta(seconds=300)
    world.write("/a.xml interval = 300")

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.feeds_changed == (harbour,)
    job = daemon.polling.scheduler.get_job(feed_job_id(harbour))
    assert job.args[0].interval == 300  # the job polls with the new settings
    assert job.next_run_time <= state.last_polled + timedelta(seconds=300)


async def test_reload_replaces_a_changed_notifier_and_keeps_an_unchanged_one(
    world: World, run: Start
) -> None:
    world.write("/a.xml")
    daemon = await run()
    await _alerts(world, 1)
    with HttpReceiver() as moved:
        text = world.path.read_text().replace(world.receiver.url("/hook"), moved.url("/new"))
        world.path.write_text(text + '\n[notifiers.log]\ntype = "console"\n')
        old_hook = daemon.channels["hook"]

        result = await daemon.reloader.reload()

        assert result.ok, result.errors
        assert result.changes is not None
        assert (result.changes.notifiers_changed, result.changes.notifiers_added) == (
            ("hook",), ("log",),
        )  # fmt: skip
        assert daemon.channels["hook"] is not old_hook
        assert set(daemon.channels) == {"hook", "log"}
        world.feeds.add_feed("/a.xml", _rss("Harbour Wire", [("Second crane falls", "a-2")]))
        assert (await daemon.poll(daemon.config.feeds[0])).alerts == 1
        (sent,) = await asyncio.to_thread(moved.wait_for, 1, HANG_GUARD)
    assert sent.json()["title"] == "Second crane falls"
    assert len(world.receiver.requests) == 1  # the old address got nothing more


async def test_reloads_run_one_at_a_time(world: World, run: Start) -> None:
    world.write("/a.xml")
    daemon = await run()
    world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS)

    first, second = await asyncio.gather(daemon.reloader.reload(), daemon.reloader.reload())

    assert first.ok and second.ok
    assert first.changes is not None and second.changes is not None
    assert first.changes.feeds_added == (world.url("/b.xml"),)
    assert second.changes.feeds_added == ()  # it ran after the first, against its result


async def test_reload_moves_the_housekeeping_jobs(world: World, run: Start) -> None:
    world.write("/a.xml")
    daemon = await run()
    await _alerts(world, 1)
    assert daemon.polling is not None
    scheduler = daemon.polling.scheduler
    assert scheduler is not None
    assert scheduler.get_job("retention") is not None
    world.write("/a.xml")
    text = world.path.read_text().replace("dispatch_interval = 3600", "dispatch_interval = 60")
    world.path.write_text(text + "\n[retention]\nenabled = false\n")

    result = await daemon.reloader.reload()

    assert result.ok, result.errors
    assert result.changes is not None
    assert result.changes.settings_changed == ("daemon.dispatch_interval", "retention")
    assert scheduler.get_job("dispatch").trigger.interval == timedelta(seconds=60)
    assert scheduler.get_job("retention") is None


BROKEN = [
    pytest.param("[[feeds]\nurl = ", ["invalid TOML"], id="toml-syntax"),
    pytest.param(
        "[daemon]\nconcurrency = 0\n" + CRANES,
        [":2: daemon.concurrency: Input should be greater than or equal to 1"],
        id="validation",
    ),
    pytest.param(
        '[[rules]]\nname = "cranes"\nany_of = [{ terms = ["crane"] }]\nnotifiers = ["pager"]\n',
        ["unknown notifier 'pager'"],
        id="unknown-notifier",
    ),
    pytest.param(
        CRANES + '[rules.examples]\nmust_match = ["Floods close the river port"]\n',
        ["rule 'cranes': must_match example failed"],
        id="failed-rule-example",
    ),
    pytest.param(
        '[notifiers.hook]\ntype = "webhook"\nurl = "https://hooks.example/x"\n'
        'secret = "hunter2-very-secret"\ntimeout = 0\n' + CRANES,
        ["notifiers.hook.timeout"],
        id="notifier-with-a-secret",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
async def test_a_broken_config_is_rejected_and_the_old_one_keeps_alerting(
    world: World, run: Start, text: str, expected: list[str]
) -> None:
    world.write("/a.xml")
    daemon = await run()
    await _alerts(world, 1)
    running = daemon.config
    jobs = _jobs(daemon)
    world.path.write_text(text)

    with capture_logs() as logs:
        result = await daemon.reloader.reload()

    assert not result.ok
    for wanted in expected:
        assert any(wanted in error for error in result.errors), result.errors
    assert not any("hunter2" in error for error in result.errors)
    (failed,) = [entry for entry in logs if entry["event"] == "config_reload_failed"]
    assert failed["errors"] == list(result.errors)
    assert daemon.config is running
    assert _jobs(daemon) == jobs
    world.feeds.add_feed("/a.xml", _rss("Harbour Wire", [("Second crane falls", "a-2")]))
    outcome = await daemon.poll(running.feeds[0])  # the old rules still match and send
    assert outcome.alerts == 1
    assert (await _alerts(world, 2))[1]["rule"] == "cranes"


LISTENER = 'enabled = true\nport = 0\ntoken = "s3cret-token"'


async def test_post_reload_answers_with_the_changes_or_every_error(
    world: World, run: Start
) -> None:
    world.write("/a.xml", listener=LISTENER)
    daemon = await run()
    await _alerts(world, 1)
    url = daemon.listener.url + "/-/reload"
    auth = {"Authorization": "Bearer s3cret-token"}
    world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS, listener=LISTENER)
    async with httpx.AsyncClient() as client:
        refused = await client.post(url)
        applied = await client.post(url, headers=auth)
        world.path.write_text("[daemon]\nconcurrency = 0\n")
        rejected = await client.post(url, headers=auth)
    assert refused.status_code == 401
    assert applied.status_code == 200
    body = applied.json()
    assert body["status"] == "ok"
    assert body["changes"]["feeds_added"] == [world.url("/b.xml")]
    assert body["changes"]["rules_added"] == ["floods"]
    assert rejected.status_code == 400
    assert rejected.json()["status"] == "error"
    assert any("daemon.concurrency" in error for error in rejected.json()["errors"])


def test_sighup_reloads_a_running_daemon_and_a_broken_file_is_logged(world: World) -> None:
    world.write("/a.xml")
    with DaemonProcess(world.path) as daemon:
        daemon.wait_event("daemon_started")
        assert [alert["rule"] for alert in world.alerts(1)] == ["cranes"]
        world.write("/a.xml", "/b.xml", rules=CRANES + FLOODS)
        daemon.send_signal(signal.SIGHUP)
        reloaded = daemon.wait_event("config_reloaded")
        assert reloaded["feeds_added"] == 1
        assert reloaded["rules_added"] == 1
        assert reloaded["trigger"] == "signal"
        assert world.alerts(2)[1]["rule"] == "floods"  # the new feed, the new rule
        world.path.write_text("[daemon]\nconcurrency = 0\n")
        daemon.send_signal(signal.SIGHUP)
        failed = daemon.wait_event("config_reload_failed")
        assert any("daemon.concurrency" in error for error in failed["errors"])
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait() == 0


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


async def test_a_reload_logs_the_new_configs_advice_never_a_secret(
    world: World, run: Start
) -> None:
    """A feed added with its secret written in the file reloads (it works), and the reload
    logs the deprecation naming the key and the feed, never the value, as a start does."""
    world.write("/a.xml")
    daemon = await run()
    await _alerts(world, 1)
    inline = '/b.xml auth = { type = "bearer", secret = "inl1ne-s3cret" }'
    world.write("/a.xml", inline, rules=CRANES + FLOODS)

    with capture_logs() as logs:
        result = await daemon.reloader.reload()

    assert result.ok, result.errors
    (advice,) = [entry for entry in logs if entry["event"] == "config_feed_secret_inline"]
    assert (advice["key"], advice["feed_url"], advice["use"]) == (
        "feeds.1.auth.secret",
        world.url("/b.xml"),
        "token_env",
    )
    assert "inl1ne-s3cret" not in repr(logs)
