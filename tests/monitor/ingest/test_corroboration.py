"""Rules with min_outlets fire once, when the story's Nth distinct outlet reports it.

Three outlets, served over loopback, report one event in turn (one more per poll
cycle); a webhook receiver records what the daemon sends. Alerts are unique per
(story, rule), so the corroborated rule sends exactly one alert, on the third
cycle, while an uncorroborated rule on the same story alerts on the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from tests.support.feedserver import FeedServer
from tests.support.receiver import HttpReceiver

OUTLETS = ("levant", "gulf", "coastal")
HEADLINES = {
    "levant": "Iranian troops land in Latakia as army prepares Homs offensive",
    "gulf": "UPDATE 1-Iranian troops land in Latakia as army prepares Homs offensive",
    "coastal": "BREAKING: Iranian troops land in Latakia as army prepares Homs offensive",
}
SUMMARIES = {
    "levant": "Hundreds of soldiers reached the coast on Tuesday.",
    "gulf": "Transport planes were seen at the airfield before dawn.",
    "coastal": "Residents described columns of trucks heading inland.",
}
RULES = """
[entities.iran]
entries = [{ name = "Iran", aliases = ["Iranian"] }]

[entities.syria]
entries = ["Latakia", "Homs"]

[[rules]]
name = "iran-in-syria"
all_of = ["iran", "syria"]
notifiers = ["hook"]

[[rules]]
name = "iran-in-syria-corroborated"
all_of = ["iran", "syria"]
min_outlets = 3
notifiers = ["hook"]
"""


def _rss(outlet: str, with_story: bool) -> bytes:
    item = (
        f"<item><title>{HEADLINES[outlet]}</title><guid>{outlet}-1</guid>"
        f"<link>https://{outlet}.example/a/1</link><description>{SUMMARIES[outlet]}</description>"
        "<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate></item>"
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
        f"<link>https://{outlet}.example/</link><description>d</description>"
        f"{item if with_story else ''}</channel></rss>"
    ).encode()


@dataclass
class World:
    feeds: FeedServer
    receiver: HttpReceiver
    config_path: Path

    def serve(self, reporting: int) -> None:
        """The first ``reporting`` outlets carry the story; the others are empty."""
        for index, outlet in enumerate(OUTLETS):
            body = _rss(outlet, with_story=index < reporting)
            self.feeds.add_feed(f"/{outlet}.xml", body, etag=f'"{outlet}-{index < reporting}"')

    def alerts(self) -> list[dict[str, object]]:
        return [request.json() for request in self.receiver.requests if request.path == "/hook"]


@pytest.fixture(name="world")
def _world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, HttpReceiver() as receiver:
        feed_tables = "".join(
            f'\n[[feeds]]\nname = "{outlet}"\nurl = "{feeds.url(f"/{outlet}.xml")}"\n'
            for outlet in OUTLETS
        )
        path = tmp_path / "wirewatch.toml"
        path.write_text(
            "[daemon]\nhost_spacing = 0\n"  # every test feed is on 127.0.0.1
            f'[store]\npath = "{tmp_path / "ww.db"}"\n'
            f'[notifiers.hook]\ntype = "webhook"\nurl = "{receiver.url("/hook")}"\n'
            f"{feed_tables}{RULES}",
            encoding="utf-8",
        )
        yield World(feeds, receiver, path)


async def _cycle(world: World) -> None:
    daemon = await Daemon.build(load_config(world.config_path))
    try:
        await daemon.run_once()
    finally:
        await daemon.close()


async def test_a_min_outlets_rule_fires_once_when_the_third_outlet_reports(world: World) -> None:
    sent_after_each_cycle = []
    for reporting in (1, 2, 3, 3):
        world.serve(reporting)
        await _cycle(world)
        sent_after_each_cycle.append([alert["rule"] for alert in world.alerts()])

    assert sent_after_each_cycle == [
        ["iran-in-syria"],
        ["iran-in-syria"],
        ["iran-in-syria", "iran-in-syria-corroborated"],
        ["iran-in-syria", "iran-in-syria-corroborated"],
    ]
    corroborated = world.alerts()[1]
    assert corroborated["outlets"] == 3
    assert "coastal" in str(corroborated)  # raised on the third outlet's article
