"""Surges as alerts, end to end: a burst of reports through the real pipeline (feeds on
a loopback server, the daemon's one poll, a real SQLite store) fires a surge, and its
one alert reaches a real webhook receiver and a real SMTP server with the evidence; a
silence of ``surge`` keeps it from both, and a second poll does not send it again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import jsonschema
import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.records import Silence
from notifiers import PAYLOAD_SCHEMA
from tests.support.configs import quiet_daemon
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver, Response
from tests.support.smtp import SmtpServer

OUTLETS = 10  # the burst: one quake reported by ten outlets within the poll
CONFIG = """
[surge]
warmup_hours = 0      # the test's store is new: nothing to learn a baseline from first
stories = false       # only the rule surge, so exactly one surge alert is expected
names = false
notifiers = ["surgehook", "mail"]

[notifiers.rulehook]
type = "webhook"
url = "{rulehook}"

[notifiers.surgehook]
type = "webhook"
url = "{surgehook}"

[notifiers.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_addr = "wirewatch@alerts.example.org"
to = ["desk@example.com"]

[[rules]]
name = "quakes"
any_of = [{{ terms = ["quake"] }}]
notifiers = ["rulehook"]
"""


def _rss(outlet: int) -> bytes:
    # Dated, over the last 20 minutes: on a feed's first poll an undated item is backlog,
    # which feeds the baselines only (surges.first_poll).
    published = format_datetime(datetime.now(UTC) - timedelta(minutes=20 - outlet), usegmt=True)
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {outlet}</title>
<link>https://outlet{outlet}.example/</link><description>d</description>
<item><title>Quake of magnitude 6.1 hits Kunming, outlet {outlet} reports</title>
<guid>q-{outlet}</guid><pubDate>{published}</pubDate><link>https://outlet{outlet}.example/quake</link>
<description>Buildings collapsed in Kunming after the quake.</description></item>
</channel></rss>""".encode()


@dataclass
class World:
    daemon: Daemon
    surgehook: HttpReceiver
    rulehook: HttpReceiver
    smtp: SmtpServer


@pytest.fixture(name="world")
async def _world(tmp_path: Path) -> AsyncIterator[World]:
    with (
        FeedServer() as feeds,
        HttpReceiver() as surgehook,
        HttpReceiver() as rulehook,
        SmtpServer() as smtp,
    ):
        surgehook.enqueue(*[Response(200)] * 5)
        rulehook.enqueue(*[Response(200)] * 20)
        feed_tables = ""
        for outlet in range(OUTLETS):
            feeds.add_feed(f"/o{outlet}.xml", _rss(outlet), content_type="application/rss+xml")
            feed_tables += f'[[feeds]]\nurl = "{feeds.url(f"/o{outlet}.xml")}"\n'
        path = tmp_path / "ww.toml"
        path.write_text(
            quiet_daemon(tmp_path / "ww.db") + feed_tables + CONFIG.format(
                rulehook=rulehook.url("/rules"), surgehook=surgehook.url("/surges"),
                smtp_port=smtp.port,
            )
        )  # fmt: skip
        daemon = await Daemon.build(load_config(path))
        try:
            yield World(daemon, surgehook, rulehook, smtp)
        finally:
            await daemon.close()


async def test_a_burst_fires_one_surge_alert_delivered_with_its_evidence(world: World) -> None:
    await world.daemon.run_once()
    (request,) = world.surgehook.wait_for(1)
    document = request.json()
    jsonschema.validate(document, PAYLOAD_SCHEMA)
    surge = document["surge"]
    assert (document["rule"], document["severity"]) == ("surge:rule:quakes", "medium")
    assert (surge["kind"], surge["key"], surge["label"]) == ("rule", "quakes", "quakes")
    assert surge["count"] >= 6 and surge["outlets"] >= 5  # the default min_count
    assert surge["expected"] < surge["count"]
    assert surge["window_start"] < surge["window_end"]
    assert surge["top_stories"] and "Kunming" in surge["top_stories"][0]["title"]
    assert document["alert_id"] == "su_" + (await world.daemon.store.list_surges(
        _long_ago(world))).pop().surge_id  # fmt: skip
    (mail,) = world.smtp.handler.wait_for(1)
    assert str(mail.message["Subject"]).startswith('[MEDIUM] Surge of rule "quakes": ')
    assert all("surge" not in r.json()["rule"] for r in world.rulehook.requests)
    await world.daemon.run_once()  # polled again: nothing new, nothing sent again
    assert len(world.surgehook.requests) == 1


async def test_a_silenced_surge_alert_is_not_sent(world: World) -> None:
    now = world.daemon.clock()
    silence = Silence("election night", now, now + timedelta(hours=2), rule="surge")
    await world.daemon.store.add_silence(silence)
    await world.daemon.run_once()
    (listing,) = [
        item
        for item in await world.daemon.store.list_alerts(_long_ago(world))
        if item.alert.rule.startswith("surge:")
    ]
    assert {delivery.state for delivery in listing.deliveries} == {"silenced"}
    assert world.surgehook.requests == []
    assert world.smtp.handler.deliveries == []
    assert world.rulehook.requests  # the rule's own alert still goes out


def _long_ago(world: World) -> datetime:
    return world.daemon.clock() - timedelta(days=1)
