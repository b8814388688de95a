"""Story grouping with article pages, end to end: real daemon runs (``wirewatch run --once``)
poll two outlets' teaser feeds on a loopback site, read the article pages, and group by
the pages' lead paragraphs; a watching rule alerts a real webhook receiver once per story."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitor.cli.main import main
from tests.support.articles import article_page
from tests.support.configs import quiet_daemon, webhook_hook
from tests.support.events import ENVOY, LANDING_A, LANDING_B, Report
from tests.support.feedserver import FeedServer
from tests.support.pages import html_route
from tests.support.receiver import HttpReceiver

OUTLETS = ("courier", "gazette")  # LANDING_A and ENVOY are the courier's, LANDING_B the gazette's


def _feed(server: FeedServer, outlet: str, reports: Sequence[Report]) -> bytes:
    base = server.url(f"/{outlet}").rstrip("/")
    items = "".join(
        f"<item><title>{report.title}</title><guid>{report.slug}</guid>"
        f"<link>{base}/{report.slug}</link><description>{report.teaser}</description></item>"
        for report in reports
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        f"<link>{base}/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def _serve(server: FeedServer, outlet: str, reports: Sequence[Report]) -> None:
    for report in reports:
        page = article_page(report.paragraphs, title=report.title).encode()
        server.add_route(f"/{outlet}/{report.slug}", html_route(page))
    server.add_feed(f"/{outlet}.xml", _feed(server, outlet, reports))


def _config(
    tmp_path: Path, server: FeedServer, receiver: HttpReceiver, full_text: str
) -> list[str]:
    feeds = "".join(
        f'[[feeds]]\nname = "{outlet}"\nurl = "{server.url(f"/{outlet}.xml")}"\n'
        f'full_text = "{full_text}"\n'
        for outlet in OUTLETS
    )
    path = tmp_path / "ww.toml"
    path.write_text(f"""
{quiet_daemon(tmp_path / "ww.db")}
{feeds}
{webhook_hook(receiver.url("/hook"))}[keywords.iran]
terms = ["Tehran", "Revolutionary Guard"]
[[rules]]
name = "iran"
any_of = ["iran"]
""")
    return ["run", "--once", "--config", str(path)]


def _stories(tmp_path: Path) -> list[list[str]]:
    """The stored articles' titles, grouped by story."""
    with sqlite3.connect(tmp_path / "ww.db") as db:
        rows = db.execute("SELECT story_id, title FROM articles ORDER BY title").fetchall()
    grouped: dict[str, list[str]] = {}
    for story_id, title in rows:
        grouped.setdefault(story_id, []).append(title)
    return sorted(grouped.values())


def _new_alerts(receiver: HttpReceiver) -> list[str]:
    """The title of each story's first alert."""
    return sorted(r.json()["title"] for r in receiver.requests if r.json()["event"] == "new")


@pytest.fixture(name="site")
def _site() -> Iterator[tuple[FeedServer, HttpReceiver]]:
    with FeedServer() as server, HttpReceiver() as receiver:
        yield server, receiver


@pytest.mark.parametrize(
    ("full_text", "stories"),
    [
        pytest.param(
            "auto",
            [[LANDING_A.title, LANDING_B.title], [ENVOY.title]],
            id="page-leads-group-the-event",
        ),
        pytest.param(
            "never",
            [[LANDING_A.title], [LANDING_B.title], [ENVOY.title]],
            id="teasers-alone-stay-apart",
        ),
    ],
)
def test_two_outlets_teasers_of_one_event_are_one_story_by_their_pages_leads(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path, full_text: str, stories: list[list[str]]
) -> None:
    """The courier's page and the gazette's open with the same event in other words; the
    courier's other story, in the same site furniture, stays apart."""
    server, receiver = site
    _serve(server, "courier", [LANDING_A, ENVOY])
    _serve(server, "gazette", [LANDING_B])
    assert main(_config(tmp_path, server, receiver, full_text)) == 0
    assert _stories(tmp_path) == sorted(sorted(titles) for titles in stories)
    assert len(_new_alerts(receiver)) == len(stories)  # one alert per story


def test_a_restart_groups_with_the_stored_page_leads(
    site: tuple[FeedServer, HttpReceiver], tmp_path: Path
) -> None:
    """The gazette's report comes after a restart: the index rebuilt from the store holds
    the courier's page lead, so the report joins its story and no second alert is sent."""
    server, receiver = site
    _serve(server, "courier", [LANDING_A])
    _serve(server, "gazette", [])
    config = _config(tmp_path, server, receiver, "auto")
    assert main(config) == 0
    _serve(server, "gazette", [LANDING_B])
    assert main(config) == 0
    assert _stories(tmp_path) == [sorted([LANDING_A.title, LANDING_B.title])]
    assert _new_alerts(receiver) == [LANDING_A.title]
