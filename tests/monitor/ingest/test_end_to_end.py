"""The whole daemon with real parts: feeds over HTTP, Slack and webhook receivers, SMTP, SQLite.

Three outlets carry one event with different headlines among unrelated items; the
daemon must send exactly one Slack message, one email and one webhook call, then
nothing on a second cycle, and nothing after a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import Config, load_config
from monitor.daemon.daemon import Daemon
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver, Response
from tests.support.smtp import SmtpServer

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Levant Wire</title><link>https://lw.example/</link>
<description>test</description>
<item><title>Iranian troops land in Latakia as army prepares Homs offensive</title>
<link>https://lw.example/a/1?utm_source=rss</link><guid>lw-1</guid>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Hundreds of Iranian soldiers reached the coast.&lt;/p&gt;</description></item>
<item><title>Hamas delegation arrives in Cairo for talks</title>
<link>https://lw.example/a/2</link><guid>lw-2</guid>
<pubDate>Tue, 24 Nov 2026 07:00:00 GMT</pubDate></item>
{extra}
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Gulf Dispatch</title>
<id>tag:gd.example,2026:feed</id><updated>2026-11-24T09:00:00Z</updated>
<entry><title>UPDATE 1-Iranian troops land in Latakia as army prepares Homs offensive</title>
<id>tag:gd.example,2026:77</id><link href="https://gd.example/world/77"/>
<updated>2026-11-24T08:20:00Z</updated><summary>Monitors saw transport planes.</summary></entry>
<entry><title>Football: Tirana club signs striker</title><id>tag:gd.example,2026:78</id>
<link href="https://gd.example/sport/78"/><updated>2026-11-24T08:10:00Z</updated></entry>
</feed>"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Coastal Courier",
    "items": [
        {
            "id": "cc-9",
            "url": "https://cc.example/news/9",
            "title": "BREAKING: Iranian troops land in Latakia as army prepares Homs offensive",
            "content_html": "<p>Transport aircraft were seen at the airbase.</p>",
            "date_published": "2026-11-24T08:40:00Z",
        },
        {
            "id": "cc-10",
            "url": "https://cc.example/markets/10",
            "title": "Oil prices edge higher in thin trading",
            "date_published": "2026-11-24T08:30:00Z",
        },
    ],
}

RULES = """
[entities.iran]
kind = "actor"
entries = [{ name = "Iran", aliases = ["Iranian", "Iranians"] }]

[entities.syria]
kind = "place"
entries = ["Latakia", "Homs", "Hama", "Syria"]

[keywords.escalation]
terms = ["troops", "offensive", "air strikes"]

[[rules]]
name = "iran-in-syria"
severity = "high"
all_of = ["iran", "syria"]
any_of = ["escalation"]
notifiers = ["slack", "email", "webhook"]
"""


@dataclass
class World:
    feeds: FeedServer
    receiver: HttpReceiver
    smtp: SmtpServer
    config_path: Path

    def config(self) -> Config:
        return load_config(self.config_path)

    def posts(self, path: str) -> list[dict[str, object]]:
        return [r.json() for r in self.receiver.requests if r.path == path]


def _config_text(
    feeds: FeedServer, receiver: HttpReceiver, smtp: SmtpServer, db: Path, feed_paths: list[str]
) -> str:
    feed_tables = "".join(
        f'\n[[feeds]]\nname = "{p.strip("/")}"\nurl = "{feeds.url(p)}"\n' for p in feed_paths
    )
    return f"""
[daemon]
max_body_bytes = 1048576
host_spacing = 0  # every test feed is on 127.0.0.1
read_timeout = 5
total_timeout = 20

[store]
path = "{db}"

[notifiers.slack]
type = "slack"
webhook_url = "{receiver.url("/slack")}"

[notifiers.webhook]
type = "webhook"
url = "{receiver.url("/hook")}"

[notifiers.email]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
from_addr = "wirewatch@example.org"
to = ["desk@example.org"]
{feed_tables}
{RULES}
"""


def _serve_story(feeds: FeedServer, extra: str = "", version: str = "v1") -> None:
    feeds.add_feed("/levant.xml", RSS.format(extra=extra).encode(), etag=f'"lw-{version}"')
    feeds.add_feed("/gulf.xml", ATOM.encode(), content_type="application/atom+xml", etag='"gd-v1"')
    feeds.add_feed(
        "/coastal.json",
        json.dumps(JSON_FEED).encode(),
        content_type="application/feed+json",
        etag='"cc-v1"',
    )


@pytest.fixture(name="world")
def _world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, HttpReceiver() as receiver, SmtpServer() as smtp:
        _serve_story(feeds)
        path = tmp_path / "wirewatch.toml"
        path.write_text(
            _config_text(
                feeds,
                receiver,
                smtp,
                tmp_path / "ww.db",
                ["/levant.xml", "/gulf.xml", "/coastal.json"],
            )
        )
        yield World(feeds, receiver, smtp, path)


async def _cycle(config: Config, clock: datetime | None = None) -> Daemon:
    daemon = await Daemon.build(config, clock=(lambda: clock) if clock else None)
    try:
        await daemon.run_once()
    finally:
        await daemon.close()
    return daemon


@pytest.mark.asyncio(loop_factories=["uvloop", "asyncio"])  # the daemon runs on either
async def test_one_story_from_three_outlets_sends_one_alert_per_channel(world: World) -> None:
    await _cycle(world.config())
    (slack,) = world.posts("/slack")
    (hook,) = world.posts("/hook")
    (mail,) = world.smtp.handler.deliveries
    assert hook["rule"] == "iran-in-syria"
    assert hook["outlets"] == 3
    terms = hook["matched_terms"]
    assert isinstance(terms, list) and {"Iranian", "Latakia", "Homs"} <= set(terms)
    assert "Latakia" in json.dumps(slack)
    assert "iran-in-syria" in mail.message.get("Subject", "")


async def test_second_cycle_and_restart_send_nothing_more(world: World) -> None:
    config = world.config()
    daemon = await Daemon.build(config)
    try:
        await daemon.run_once()
        await daemon.run_once()
    finally:
        await daemon.close()
    second_requests = world.feeds.requests_to("/gulf.xml")[1:]
    assert second_requests and second_requests[0].headers.get("if-none-match") == '"gd-v1"'

    extra = (
        "<item><title>Markets close mixed</title><guid>lw-3</guid>"
        "<link>https://lw.example/a/3</link></item>"
    )
    _serve_story(world.feeds, extra=extra, version="v2")
    await _cycle(world.config())
    assert len(world.posts("/slack")) == 1
    assert len(world.posts("/hook")) == 1
    assert len(world.smtp.handler.deliveries) == 1
    after_restart = world.feeds.requests_to("/gulf.xml")[-1]
    assert after_restart.headers.get("if-none-match") == '"gd-v1"'


async def test_failed_send_is_resumed_by_the_next_start(world: World) -> None:
    world.receiver.enqueue(Response(503))  # the first POST (slack or webhook) fails
    await _cycle(world.config())
    assert len(world.receiver.requests) == 2
    assert len(world.posts("/slack")) + len(world.posts("/hook")) == 2
    later = datetime.now(UTC) + timedelta(hours=2)
    await _cycle(world.config(), clock=later)
    assert len(world.receiver.requests) == 3
    assert len(world.smtp.handler.deliveries) == 1
