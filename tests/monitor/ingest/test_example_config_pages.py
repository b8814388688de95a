"""The shipped example config against a loopback newsroom whose feeds carry standfirsts only.

Each feed of ``config.example.toml`` is served by a site of its own (its own loopback
address, robots.txt and article pages with navigation, cookie banner, ticker, related and
most-read lists and readers' comments). Only what must point at loopback changes: the
feeds' URLs, and the webhook notifier, enabled at a local receiver through the
environment as the example advises. Its rules, routes and full-text defaults are the
file's own. The names and places the Syria watch needs are only in the articles' bodies:

* two outlets report one airlift (one story) and a third a night of air raids: one alert
  per story reaches the webhook, quoting the page;
* a fourth outlet's article is about harbour repairs while its ticker, related links,
  most-read list and comments name Iranian troops in Latakia: no alert;
* with ``full_text = "never"`` on the feeds no page is read and nothing alerts.

The webhook route of the example groups alerts for 60 s: the daemon's clock is moved past
the window, as the test's own clock, and the outbox is drained again.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.daemon.summary import RoundSummary
from tests.support.news_site import ROBOTS, NewsSite, Outlet, Report
from tests.support.receiver import HttpReceiver

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"
START = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)

AIRLIFT = "Cargo planes land at coastal airbase before dawn"
AIRLIFT_FIRST = Report(
    "cargo-planes-coastal-airbase",
    AIRLIFT,
    "Airport staff counted six flights in four hours, a union official said.",
    (
        "Six cargo planes landed at the airport outside Latakia between two and six in the"
        " morning on Thursday, according to a union official who represents the ground"
        " staff there.",
        "Two security officials said the aircraft carried Iranian troops and their"
        " equipment, sent to hold positions in the mountains east of the city while"
        " government units are moved north.",
        "Neither government confirmed the flights. A spokesman for the foreign ministry in"
        " Tehran said only that cooperation between the two countries continues at every"
        " level.",
        "Ground staff were told to stay away from the eastern apron, the union official"
        " said, and civilian flights were delayed by up to three hours.",
    ),
)
AIRLIFT_SECOND = Report(
    "airbase-flights-until-sunrise",
    f"UPDATE 1-{AIRLIFT}",
    "Residents near the runway said the flights went on until sunrise.",
    (
        "People living beside the runway at the airport of Latakia said the heavy aircraft"
        " kept arriving until first light, each one unloading for about forty minutes.",
        "A port official, speaking on condition of anonymity, said the planes brought"
        " Iranian soldiers and several hundred crates, which were driven away in covered"
        " lorries.",
        "The airport was closed to the public for most of the morning, and two scheduled"
        " departures to the Gulf were postponed until the afternoon.",
    ),
)
NIGHT_RAIDS = Report(
    "night-of-low-flying-jets",
    "Residents report a night of low-flying jets over northern hills",
    "Several villages lost power after midnight, local officials said.",
    (
        "Russian warplanes flew bombing runs over villages south of Idlib for most of"
        " Tuesday night, according to two local council members reached by telephone.",
        "One said the aircraft came in pairs every twenty minutes and that families from"
        " three villages had left for the olive groves to the north before dawn.",
        "The defence ministry in Moscow did not respond to a request for comment. Its"
        " daily briefing on Wednesday did not mention the region.",
    ),
)
# The article is about a harbour; the watch's words are all around it, never in it.
HARBOUR = Report(
    "harbour-wall-repairs-approved",
    "Council approves money for harbour wall repairs",
    "The vote came after a three-hour debate, the mayor's office said.",
    (
        "The city council voted on Wednesday evening to spend four million on repairing"
        " the old harbour wall, which lost a section of its parapet in last winter's storms.",
        "Work is due to start in March and to last about eight months. The fishing fleet"
        " will move to the eastern quay while the builders are at work.",
        "Two councillors voted against, arguing that the money would be better spent on"
        " the roads leading to the port, which flood after every heavy rain.",
        "The mayor said the wall protects the market and two hundred homes behind it, and"
        " that a second winter without repairs was a risk the city could not take.",
    ),
    related=(
        "Iranian troops deployed to Latakia as the army readies an offensive",
        "Russian warplanes bomb villages near Idlib overnight",
    ),
    comments=(
        "Iranian soldiers are landing in Latakia and this is what you report on?",
        "Nothing about the Russian bombing near Idlib either. Shameful.",
    ),
    most_read=("Iranian reinforcements reach Syria's coast, officials say",),
    ticker="Live: Iranian troops arrive in Latakia",
)
RATES = Report(
    "central-bank-holds-rates",
    "Central bank holds rates for a third month",
    "The governor said inflation was falling more slowly than hoped.",
    (
        "The central bank left its main interest rate unchanged on Thursday for the third"
        " month running, saying prices were still rising faster than wages.",
        "Economists had expected the decision. Most now see a first cut in the spring,"
        " once the effect of higher energy bills has passed through.",
        "The currency barely moved after the announcement, and bond yields fell slightly"
        " in afternoon trading.",
    ),
)
APPEAL = Report(
    "winter-appeal-launched",
    "Aid agencies launch their winter appeal",
    "They are asking donors for blankets, fuel and warm clothing.",
    (
        "A group of aid agencies launched their annual winter appeal on Monday, asking"
        " donors for money to buy blankets, heating fuel and warm clothing.",
        "The agencies said last year's appeal raised less than half of what they had"
        " asked for, and that families in camps had burned furniture to keep warm.",
        "Donations can be made online or at any post office until the end of February.",
    ),
)
# The example's feeds in its order, each given the reports its site publishes.
REPORTS: tuple[tuple[Report, ...], ...] = (
    (AIRLIFT_FIRST, RATES),
    (AIRLIFT_SECOND,),
    (NIGHT_RAIDS,),
    (HARBOUR,),
    (RATES,),
    (),
    (APPEAL,),
    (),
)


class MovableClock:
    """The daemon's clock: still, until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="newsroom")
def _newsroom() -> Iterator[list[NewsSite]]:
    feeds = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["feeds"]
    assert len(feeds) >= len(REPORTS), "the example lost feeds: shorten REPORTS"
    with ExitStack() as stack:
        yield [
            stack.enter_context(NewsSite(_outlet(n, feed["name"]), published=START))
            for n, feed in enumerate(feeds)
        ]


def _outlet(n: int, name: str) -> Outlet:
    reports = REPORTS[n] if n < len(REPORTS) else ()
    robots = None if n == 4 else ROBOTS  # one site without robots.txt (404), as many are
    return Outlet(name, f"127.0.0.{20 + n}", reports, robots=robots)


def _example_at(tmp_path: Path, sites: list[NewsSite], full_text: str | None) -> Path:
    """The example with each feed's URL replaced by its site's (and ``full_text`` set on
    every feed when given); nothing else in the file changes."""
    text = EXAMPLE.read_text(encoding="utf-8")
    feeds = tomllib.loads(text)["feeds"]
    for feed, site in zip(feeds, sites, strict=True):
        line = f'url = "{feed["url"]}"'
        assert text.count(line) == 1, line
        setting = f'\nfull_text = "{full_text}"' if full_text else ""
        text = text.replace(line, f'url = "{site.feed_url}"{setting}')
    path = tmp_path / "wirewatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(name="hook")
def _hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpReceiver]:
    """The example's webhook notifier, enabled at a local receiver from the environment
    (its URL may embed a token, so the example says to set it there)."""
    for name in [name for name in os.environ if name.startswith("WIREWATCH_")]:
        monkeypatch.delenv(name)
    with HttpReceiver() as receiver:
        monkeypatch.setenv("WIREWATCH_NOTIFIERS__WEBHOOK__URL", receiver.url("/wirewatch"))
        monkeypatch.setenv("WIREWATCH_NOTIFIERS__WEBHOOK__ENABLED", "true")
        yield receiver


async def _run_example(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sites: list[NewsSite],
    hook: HttpReceiver,
    full_text: str | None = None,
) -> tuple[RoundSummary, int]:
    """One poll of every feed, then, once the webhook route's group window is over, the
    outbox drained again; with the number of POSTs the webhook had before the window
    closed. The example's store path is relative: the database lands in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    clock = MovableClock(START)
    config = load_config(_example_at(tmp_path, sites, full_text))
    window = config.settings.alerting.routes["webhook"].group_window
    daemon = await Daemon.build(config, clock=clock)
    try:
        summary = await daemon.poll_round()
        posts_in_window = len(hook.requests)
        clock.now += timedelta(seconds=window)
        await daemon.dispatch()
    finally:
        await daemon.close()
    return summary, posts_in_window


def _alerts(receiver: HttpReceiver) -> list[dict[str, Any]]:
    """Every alert the webhook received, out of its group POSTs."""
    alerts: list[dict[str, Any]] = []
    for request in receiver.requests:
        document = request.json()
        alerts.extend(document["alerts"] if document["event"] == "group" else [document])
    return alerts


def _marked(alert: dict[str, Any]) -> list[str]:
    text = alert["excerpt"]["text"]
    return [text[start:end] for start, end in alert["excerpt"]["marks"]]


async def test_the_example_alerts_once_per_story_on_names_found_only_in_the_pages(
    newsroom: list[NewsSite], hook: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, posts_in_window = await _run_example(tmp_path, monkeypatch, newsroom, hook)
    assert summary.by_outcome()["ok"] == len(newsroom)
    assert posts_in_window == 0  # the example's webhook route holds alerts for its window
    alerts = _alerts(hook)
    by_rule = {alert["rule"]: alert for alert in alerts}
    assert len(alerts) == len(by_rule) == 2, [(a["rule"], a["title"]) for a in alerts]
    airlift, raids = by_rule.pop("iran-in-syria"), by_rule.pop("russia-in-syria")
    assert airlift["title"].endswith(AIRLIFT)  # either outlet's headline: one story
    assert raids["title"] == NIGHT_RAIDS.headline
    # The excerpts quote the pages, around the names the feeds never gave.
    assert "Iranian" in _marked(airlift) and "Latakia" in _marked(airlift)
    assert any(paragraph[:60] in airlift["excerpt"]["text"]
               for paragraph in AIRLIFT_FIRST.paragraphs + AIRLIFT_SECOND.paragraphs)  # fmt: skip
    assert "Russian" in _marked(raids) and "Idlib" in _marked(raids)
    assert NIGHT_RAIDS.paragraphs[0][:60] in raids["excerpt"]["text"]
    # Every page was read once, the harbour's too: its ticker, related links, most-read
    # list and comments name Iranian troops in Latakia, and raised nothing.
    for site in newsroom:
        assert sorted(site.page_paths()) == sorted(f"/news/{r.slug}" for r in site.outlet.reports)


async def test_with_full_text_never_on_the_feeds_no_page_is_read_and_nothing_alerts(
    newsroom: list[NewsSite], hook: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, _ = await _run_example(tmp_path, monkeypatch, newsroom, hook, "never")
    assert summary.by_outcome()["ok"] == len(newsroom)
    assert summary.articles == sum(len(site.outlet.reports) for site in newsroom)  # all kept
    assert [site.page_paths() for site in newsroom] == [[] for _ in newsroom]
    assert _alerts(hook) == []
