"""Late article pages, with a real daemon's parts: a loopback site whose article page is
held until the test lets it go (so it always comes after ``full_text_timeout``), a real
SQLite store, and a real webhook receiver. What the page adds once it comes goes out as
a follow-up on the entry's story; what it does not add sends nothing."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.feeds.normalise import content_fingerprint
from monitor.ingest import LatePages, ingest_all, ingest_pushed
from monitor.records import Article, PollStatus, article_id
from tests.support.articles import RESERVOIR, article_page
from tests.support.configs import quiet_daemon
from tests.support.feedserver import FeedServer, RecordedRequest, Reply, Route
from tests.support.receiver import HttpReceiver

# The page names the minister and the concrete; the feed's standfirst names the dam alone.
PAGE = RESERVOIR[:3]
DAM = ("dam", "Reservoir works halted", "Work stopped at the dam site this week.")
TRAM = ("tram", "Trams cut for the marathon", "Three lines will run less often next week.")
HTML = article_page(PAGE, title=DAM[1]).encode()

MINISTER = """[entities.minister]
entries = ["Ilona Marsh"]
[[rules]]
name = "minister"
all_of = ["minister"]"""
RESERVOIR_RULE = """[keywords.reservoir]
terms = [{terms}]
[[rules]]
name = "reservoir"
all_of = ["reservoir"]"""
WEIGHED = """[entities.minister]
entries = ["Ilona Marsh"]
[keywords.reservoir]
terms = ["dam"]
[[rules]]
name = "works"
weights = { reservoir = 2, minister = 3 }
severity = { medium = 2, high = 5 }"""


def _held(gate: threading.Event, reply: Reply) -> Route:
    def route(_request: RecordedRequest) -> Reply:
        gate.wait()
        return reply

    return route


def _feed(server: FeedServer, items: Sequence[tuple[str, str, str]]) -> bytes:
    base = server.url("").rstrip("/")
    body = "".join(
        f"<item><title>{title}</title><guid>{slug}</guid><link>{base}/news/{slug}</link>"
        f"<description>{standfirst}</description></item>"
        for slug, title, standfirst in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>City Desk</title>'
        f"<link>{base}/</link><description>d</description>{body}</channel></rss>"
    ).encode()


@dataclass
class Site:
    server: FeedServer
    receiver: HttpReceiver
    gate: threading.Event  # set: the held page is answered
    daemon: Daemon
    db: Path

    async def poll(self) -> PollStatus:
        return (await self.daemon.poll(self.daemon.config.feeds[0])).status

    async def push(self) -> PollStatus:
        """The feed's document as a WebSub hub would push it."""
        body = _feed(self.server, [DAM])
        feed = self.daemon.config.feeds[0]
        return (await ingest_pushed(feed, body, "application/rss+xml", self.daemon.pipeline)).status

    async def page_comes(self) -> None:
        """Let the page go, and wait until its follow-up has ended."""
        self.gate.set()
        await self.daemon.pipeline.late_pages.settled()

    async def hooks(self) -> list[dict[str, Any]]:
        """Every webhook document sent so far, once what is due is sent."""
        await self.daemon.dispatch()
        return [request.json() for request in self.receiver.requests]

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as db:
            return list(db.execute(query))

    def story_of(self, title: str) -> str:
        ((story_id,),) = self.rows(f"SELECT story_id FROM articles WHERE title = '{title}'")
        return str(story_id)


def _config(tmp_path: Path, server: FeedServer, receiver: HttpReceiver, rules: str) -> Path:
    path = tmp_path / "ww.toml"
    path.write_text(f"""
{quiet_daemon(tmp_path / "ww.db")}
[[feeds]]
name = "City Desk"
url = "{server.url("/feed.xml")}"
full_text = "auto"
full_text_timeout = 0.01  # the page is held until released: it is late whatever this is
[notifiers.hook]
type = "webhook"
url = "{receiver.url("/hook")}"
{rules}
""")
    return path


@asynccontextmanager
async def _site(tmp_path: Path, rules: str, page: Reply) -> AsyncIterator[Site]:
    gate = threading.Event()
    with FeedServer() as server, HttpReceiver() as receiver:
        server.add_route("/news/dam", _held(gate, page))
        server.add_feed("/feed.xml", _feed(server, [DAM]))
        daemon = await Daemon.build(load_config(_config(tmp_path, server, receiver, rules)))
        try:
            yield Site(server, receiver, gate, daemon, tmp_path / "ww.db")
        finally:
            await daemon.close()
            gate.set()


PAGE_REPLY = Reply(200, {"Content-Type": "text/html; charset=utf-8"}, HTML)


@pytest.fixture(name="site")
async def _minister_site(tmp_path: Path) -> AsyncIterator[Site]:
    async with _site(tmp_path, MINISTER, PAGE_REPLY) as site:
        yield site


@pytest.mark.parametrize("arrives", ["polled", "pushed"])
async def test_a_rule_only_the_late_page_fires_alerts_once_as_a_follow_up(
    site: Site, arrives: str
) -> None:
    assert await (site.poll() if arrives == "polled" else site.push()) in {
        PollStatus.OK,
        PollStatus.PUSHED,
    }
    assert await site.hooks() == []  # the standfirst does not name the minister
    await site.page_comes()
    (hook,) = await site.hooks()
    story_id = site.story_of(DAM[1])
    assert site.rows("SELECT rule, event, story_id FROM alerts") == [
        ("minister", "page:match", story_id)
    ]
    assert (hook["event"], hook["change"], hook["story_id"]) == ("update", "page:match", story_id)
    assert hook["reason"] == "article page read late"
    excerpt = hook["excerpt"]
    assert "Water minister Ilona Marsh visited the site" in excerpt["text"]
    assert [excerpt["text"][start:end] for start, end in excerpt["marks"]] == ["Ilona Marsh"]
    assert site.rows("SELECT count(*) FROM articles WHERE body IS NOT NULL") == [(1,)]
    assert len(site.server.requests_to("/news/dam")) == 1
    registry = site.daemon.metrics.registry  # counted as polls' alerts are
    assert registry.get_sample_value("wirewatch_alerts_created_total", {"event": "update"}) == 1


@pytest.mark.parametrize(
    ("rules", "first", "follow_up"),
    [
        pytest.param(RESERVOIR_RULE.format(terms='"dam", "concrete"'), [("reservoir", "new")],
                     [("reservoir", "page:term:concrete", "medium")], id="page-adds-a-term"),
        pytest.param(WEIGHED, [("works", "new")],
                     [("works", "page:severity:high+term:ilona marsh", "high")],
                     id="page-raises-the-severity"),
        pytest.param(RESERVOIR_RULE.format(terms='"dam"'), [("reservoir", "new")], [],
                     id="page-adds-nothing"),
    ],
)  # fmt: skip
async def test_what_a_late_page_adds_to_an_alerted_story_is_a_follow_up(
    tmp_path: Path,
    rules: str,
    first: list[tuple[str, str]],
    follow_up: list[tuple[str, str, str]],
) -> None:
    async with _site(tmp_path, rules, PAGE_REPLY) as site:
        await site.poll()
        assert [(hook["rule"], hook["event"]) for hook in await site.hooks()] == first
        await site.page_comes()
        hooks = (await site.hooks())[len(first) :]
        assert [(hook["rule"], hook["change"], hook["severity"]) for hook in hooks] == follow_up
        story_id = site.story_of(DAM[1])
        assert {hook["story_id"] for hook in await site.hooks()} == {story_id}
        assert all(hook["reason"].startswith("article page read late; ") for hook in hooks)
        assert site.rows("SELECT count(*) FROM articles WHERE body IS NOT NULL") == [(1,)]


async def test_a_late_page_that_fails_adds_nothing_and_is_logged(tmp_path: Path) -> None:
    async with _site(tmp_path, MINISTER, Reply(503, {}, b"busy")) as site:
        await site.poll()
        with capture_logs() as logs:
            await site.page_comes()
        assert await site.hooks() == []
        failed = [line for line in logs if line["event"] == "page_fetch_failed"]
        assert [line["page_url"] for line in failed] == [site.server.url("/news/dam")]
        assert site.rows("SELECT count(*) FROM articles WHERE body IS NOT NULL") == [(0,)]


async def test_a_second_poll_redelivering_the_entry_neither_fetches_nor_alerts(
    site: Site,
) -> None:
    await site.poll()
    await site.page_comes()
    assert len(await site.hooks()) == 1
    site.server.add_feed("/feed.xml", _feed(site.server, [TRAM, DAM]))  # changed: parsed
    site.server.add_route("/news/tram", lambda _request: Reply(404, {}, b"gone"))
    assert await site.poll() is PollStatus.OK
    await site.daemon.pipeline.late_pages.settled()
    assert len(await site.hooks()) == 1
    assert len(site.server.requests_to("/news/dam")) == 1
    assert len(site.rows("SELECT alert_id FROM alerts")) == 1


async def test_shutdown_with_a_page_still_to_come_ends_its_follow_up_cleanly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The page is never let go: closing the daemon ends the follow-up waiting for it,
    and nothing is left pending or unretrieved (pytest makes such warnings errors)."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    async with _site(tmp_path, MINISTER, PAGE_REPLY) as site:
        await site.poll()
        late_pages = site.daemon.pipeline.late_pages
        assert len(late_pages) == 1  # waiting for the page
    assert len(late_pages) == 0  # the daemon closed: ended, not left pending
    assert site.rows("SELECT count(*) FROM alerts") == [(0,)]
    assert [record.getMessage() for record in caplog.records if record.name == "asyncio"] == []


async def test_closing_the_follow_ups_ends_them_and_leaves_the_shared_fetch(site: Site) -> None:
    """Follow-ups end first at shutdown, while the page fetch they wait for goes on (two
    entries with one link share it): ending one must not cancel it for the other."""
    await site.poll()
    late_pages = site.daemon.pipeline.late_pages
    (late,) = late_pages.pending()
    await late_pages.aclose()
    assert len(late_pages) == 0
    site.gate.set()
    page = await late  # the fetch went on, and came
    assert page.ok
    assert await site.hooks() == []


async def test_follow_ups_waiting_at_once_are_bounded(tmp_path: Path) -> None:
    """Past the bound, a late page is left unfollowed (logged), its entry kept as the
    feed gave it: a feed of many slow pages cannot grow the follow-ups without end."""
    async with _site(tmp_path, MINISTER, PAGE_REPLY) as site:
        site.server.add_route("/news/tram", _held(site.gate, PAGE_REPLY))
        site.server.add_feed("/feed.xml", _feed(site.server, [DAM, TRAM]))
        site.daemon.pipeline.late_pages = LatePages(limit=1)
        with capture_logs() as logs:
            await site.poll()
        assert len(site.daemon.pipeline.late_pages) == 1
        unfollowed = [line for line in logs if line["event"] == "page_late_unfollowed"]
        assert [line["page_url"] for line in unfollowed] == [site.server.url("/news/tram")]
        await site.page_comes()
        assert [hook["title"] for hook in await site.hooks()] == [DAM[1]]
        assert len(site.rows("SELECT title FROM articles")) == 2  # nothing lost


async def test_a_late_page_is_matched_with_the_outlets_its_story_has_by_then(
    tmp_path: Path,
) -> None:
    """A rule needing two outlets counts those that joined the story while the page was on
    its way, not only the article that opened it."""
    async with _site(tmp_path, MINISTER + "\nmin_outlets = 2", PAGE_REPLY) as site:
        await site.poll()
        copy = Article(
            article_id=article_id("http://wire.example/feed", "w1"),
            feed_url="http://wire.example/feed",
            feed_name="Wire",
            guid="w1",
            title=DAM[1],
            link="http://wire.example/dam",
            summary="",
            content="",
            published=None,
            fetched_at=datetime.now(UTC),
            fingerprint=content_fingerprint(DAM[1], ""),
        )
        story_id = site.story_of(DAM[1])
        (joined,) = await ingest_all([copy], site.daemon.pipeline)
        assert joined.decision.story_id == story_id and not joined.alerts
        await site.page_comes()
        assert [(hook["rule"], hook["outlets"]) for hook in await site.hooks()] == [("minister", 2)]


async def test_a_late_page_read_counts_as_read_in_the_feeds_next_state(site: Site) -> None:
    """`wirewatch feeds` says how often pages gave the article: one that came late, and was
    read then, did (stored with the feed's state at its next poll)."""
    await site.poll()
    counts = "SELECT pages_tried, pages_read, page_last_issue FROM feeds"
    assert site.rows(counts) == [(1, 0, "late")]
    await site.page_comes()
    assert await site.poll() is PollStatus.UNCHANGED
    assert site.rows(counts) == [(1, 1, "late")]
    await site.poll()
    assert site.rows(counts) == [(1, 1, "late")]  # counted once


FRENCH_PAGE = article_page(
    (
        "Les travaux du barrage de la vallée orientale sont arrêtés depuis lundi, quand les"
        " grues de l'entreprise ont été déplacées vers le chantier du pont autoroutier.",
        "La ministre de l'eau s'est rendue sur place mercredi et a promis que les grues"
        " reviendraient avant que les pluies d'automne ne remplissent de nouveau la vallée.",
    ),
    title="Barrage",
    lang="fr",
).encode()
FRENCH_WATCH = """[keywords.barrage]
terms = ["grues"]
[[rules]]
name = "chantiers-fr"
languages = ["fr"]
all_of = ["barrage"]"""


async def test_a_late_page_is_matched_in_the_language_it_is_written_in(tmp_path: Path) -> None:
    """A French page behind a teaser too short to tell its language: the follow-up match,
    and the stored article, read it as French."""
    page = Reply(200, {"Content-Type": "text/html; charset=utf-8"}, FRENCH_PAGE)
    async with _site(tmp_path, FRENCH_WATCH, page) as site:
        site.server.add_feed("/feed.xml", _feed(site.server, [("dam", "Barrage", "Grues.")]))
        await site.poll()
        assert site.rows("SELECT language FROM articles") == [("",)]
        await site.page_comes()
        assert [hook["rule"] for hook in await site.hooks()] == ["chantiers-fr"]
        assert site.rows("SELECT language FROM articles") == [("fr",)]
