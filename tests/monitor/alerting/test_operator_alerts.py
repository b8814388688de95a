"""Feed-health operator alerts through the real daemon, outbox and a webhook receiver:
a gone feed and a feed failing too long each alert once, recovery once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerting.operator_alerts import OPERATOR_RULE, operator_alert
from monitor.config.settings import ConfigError, load_config
from monitor.daemon.daemon import Daemon
from monitor.feeds.health import FeedEvent, FeedEventKind
from tests.support.feedserver import FeedServer, Reply
from tests.support.receiver import HttpReceiver

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Up</title>
<item><title>Quiet day at the port</title><guid>q-1</guid></item></channel></rss>"""


@dataclass
class World:
    feeds: FeedServer
    receiver: HttpReceiver
    path: Path
    now: datetime = NOW

    async def cycle(self, at: timedelta) -> None:
        self.now = NOW + at
        daemon = await Daemon.build(load_config(self.path), clock=lambda: self.now)
        try:
            await daemon.run_once()
        finally:
            await daemon.close()

    def alerts(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.receiver.requests if r.path == "/hook"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, HttpReceiver() as receiver:
        path = tmp_path / "wirewatch.toml"
        path.write_text(
            "[daemon]\nhost_spacing = 0\nparse_workers = 0\nfailure_alert_after = 3600\n"
            'operator_notifiers = ["hook"]\n'
            f'[store]\npath = "{tmp_path / "ww.db"}"\n'
            f'[notifiers.hook]\ntype = "webhook"\nurl = "{receiver.url("/hook")}"\n'
            f'[[feeds]]\nname = "Flaky"\nurl = "{feeds.url("/flaky.xml")}"\n'
            f'[[feeds]]\nname = "Retired"\nurl = "{feeds.url("/retired.xml")}"\n',
            encoding="utf-8",
        )
        yield World(feeds, receiver, path)


def titles(alerts: list[dict[str, Any]]) -> list[str]:
    return sorted(str(alert["title"]) for alert in alerts)


async def test_gone_failing_and_recovered_each_alert_once(world: World) -> None:
    healthy = False

    def flaky(_request: object) -> Reply:
        return Reply(200, {"Content-Type": "application/rss+xml"}, RSS) if healthy else Reply(500)

    world.feeds.add_route("/flaky.xml", flaky)
    world.feeds.add_status("/retired.xml", 410)
    await world.cycle(timedelta())
    assert titles(world.alerts()) == ["Feed gone (410), no longer polled: Retired"]
    await world.cycle(timedelta(minutes=30))  # failing, but not for an hour yet
    assert len(world.alerts()) == 1
    await world.cycle(timedelta(minutes=61))
    await world.cycle(timedelta(minutes=90))  # still failing: no second alert
    assert titles(world.alerts())[0] == "Feed failing since 2026-11-24T12:00+00:00: Flaky"
    assert len(world.alerts()) == 2
    healthy = True
    await world.cycle(timedelta(minutes=120))
    await world.cycle(timedelta(minutes=180))
    assert titles(world.alerts()) == [
        "Feed failing since 2026-11-24T12:00+00:00: Flaky",
        "Feed gone (410), no longer polled: Retired",
        "Feed recovered: Flaky",
    ]
    assert {alert["rule"] for alert in world.alerts()} == {OPERATOR_RULE}
    assert len(world.feeds.requests_to("/retired.xml")) == 1  # gone: never asked again


def test_operator_alert_key_is_unique_per_streak() -> None:
    first = FeedEvent(FeedEventKind.FAILING, "http://x/f", "X", "down", NOW, since=NOW)
    later = FeedEvent(
        FeedEventKind.FAILING, "http://x/f", "X", "down", NOW, since=NOW + timedelta(days=1)
    )
    back = FeedEvent(FeedEventKind.RECOVERED, "http://x/f", "X", "up", NOW, since=NOW)
    ids = {operator_alert(event, ("hook",))[2].alert_id for event in (first, later, back)}
    assert len(ids) == 3
    assert operator_alert(first, ("hook",))[2].alert_id == operator_alert(first, ())[2].alert_id


def test_unknown_operator_notifier_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[daemon]\noperator_notifiers = ["pager"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert any("unknown notifier 'pager'" in line for line in info.value.errors)


async def test_daemon_starts_with_a_disabled_notifier_that_has_headers(tmp_path: Path) -> None:
    """config.example.toml ships a disabled webhook with headers: `run` must still start."""
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f'[daemon]\nparse_workers = 0\n[store]\npath = "{tmp_path / "ww.db"}"\n'
        '[notifiers.hook]\ntype = "webhook"\nenabled = false\nurl = "https://x.invalid/h"\n'
        '[notifiers.hook.headers]\nX-Team = "desk"\n',
        encoding="utf-8",
    )
    daemon = await Daemon.build(load_config(path))
    await daemon.close()
