"""Every request the daemon makes names it: notifier deliveries (webhook, Slack, Apprise)
and WebSub subscription requests carry the daemon's User-Agent, as feed fetches do, not
``python-httpx/…``. Recorded by a real receiver on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from notifiers import Alert
from tests.support.feedserver import FeedServer
from tests.support.pushing import pushing
from tests.support.receiver import HttpReceiver

AGENT = "desk-monitor/3.1 (+mailto:desk@example.org)"
NOW = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
ALERT = Alert(
    alert_id="ua-0001", story_id="story-1", rule="harbour", severity="high",
    title="Harbour closed", link="https://news.example.org/h", summary="Closed.",
    feed="Coastal Wire", published=NOW, first_seen=NOW, matched_terms=("harbour",),
)  # fmt: skip
NOTIFIERS = {  # kind: its table, pointed at the receiver's port
    "webhook": 'type = "webhook"\nurl = "http://127.0.0.1:{port}/hook"',
    "slack": 'type = "slack"\nwebhook_url = "http://127.0.0.1:{port}/slack"',
    "apprise": 'type = "apprise"\nurls = ["json://127.0.0.1:{port}/apprise"]',
}


def config_path(tmp_path: Path, notifier: str, port: int, *, daemon: str) -> Path:
    path = tmp_path / "ww.toml"
    table = NOTIFIERS[notifier].format(port=port)
    path.write_text(
        f'[daemon]\nparse_workers = 0\n{daemon}\n[store]\npath = "{tmp_path / "ww.db"}"\n'
        "[listener]\nwebsub = true\nport = 0\n"
        f'[[feeds]]\nurl = "http://127.0.0.1:{port}/feed.xml"\n'
        f"[notifiers.out]\n{table}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as http_receiver:
        yield http_receiver


@pytest.fixture
async def daemon(tmp_path: Path, receiver: HttpReceiver) -> AsyncIterator[Daemon]:
    path = config_path(tmp_path, "webhook", receiver.port, daemon=f'user_agent = "{AGENT}"')
    built = await Daemon.build(load_config(path))
    yield built
    await built.close()


@pytest.mark.parametrize("notifier", sorted(NOTIFIERS))
async def test_a_delivery_carries_the_daemons_user_agent(
    tmp_path: Path, receiver: HttpReceiver, notifier: str
) -> None:
    if notifier == "apprise":
        pytest.importorskip("apprise", reason="the Apprise bridge needs the 'apprise' extra")
    path = config_path(tmp_path, notifier, receiver.port, daemon=f'user_agent = "{AGENT}"')
    daemon = await Daemon.build(load_config(path))
    try:
        await daemon.channels["out"].send(ALERT)
    finally:
        await daemon.close()
    (request,) = receiver.wait_for(1)
    assert request.headers["user-agent"] == AGENT


async def test_the_default_user_agent_names_the_contact_url(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    """Without ``user_agent``, a delivery says ``wirewatch/VERSION (+contact_url)`` as
    feed fetches do."""
    contact = 'contact_url = "https://desk.example.org/contact"'
    daemon = await Daemon.build(load_config(config_path(tmp_path, "webhook", receiver.port,
                                                        daemon=contact)))  # fmt: skip
    try:
        await daemon.channels["out"].send(ALERT)
    finally:
        await daemon.close()
    (request,) = receiver.wait_for(1)
    agent = request.headers["user-agent"]
    assert agent.startswith("wirewatch/")
    assert agent.endswith(" (+https://desk.example.org/contact)")


async def test_a_websub_subscription_request_carries_the_daemons_user_agent(
    daemon: Daemon,
) -> None:
    with FeedServer() as hub:
        hub.add_status("/hub", 202)
        feed = daemon.config.feeds[0]
        async with pushing(daemon) as websub:
            await websub.subscribe(feed, hub.url("/hub"), feed.url)
        (request,) = hub.requests_to("/hub")
    assert request.headers["user-agent"] == AGENT
