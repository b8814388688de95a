"""robots.txt for article pages (RFC 9309), served by a real loopback server."""

from __future__ import annotations

import asyncio
import threading

import pytest

from monitor.feeds import Fetcher
from monitor.pages import PageFetcher, PageOutcome, RobotsRules
from monitor.pages.robots import ROBOTS_TTL, UNREACHABLE_TTL
from tests.support.feedserver import FeedServer, RecordedRequest, Reply
from tests.support.pages import Clock, feed_of, held, html_route, page_requests

OK, NO = PageOutcome.OK, PageOutcome.ROBOTS_DISALLOWED


def serve_pages(server: FeedServer) -> None:
    for path in ("/private/a", "/public/a", "/public/b"):
        server.add_route(path, html_route())


def robots_requests(server: FeedServer) -> list[RecordedRequest]:
    return server.requests_to("/robots.txt")


@pytest.mark.parametrize(
    ("status", "robots", "private", "public"),
    [
        (200, "User-agent: wirewatch\nDisallow: /private\n", NO, OK),
        (200, "User-agent: *\nDisallow: /\n", NO, NO),
        (200, "User-agent: otherbot\nDisallow: /\n", OK, OK),
        (200, "User-agent: WireWatch\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n", NO, OK),
        (200, "User-agent: *\nAllow: /public\nDisallow: /\n", NO, OK),
        (200, "", OK, OK),
        (404, "", OK, OK),  # 4xx: no rules (RFC 9309 2.3.1.3)
        (410, "", OK, OK),
        (403, "", OK, OK),
        (500, "", NO, NO),  # 5xx: unreachable, complete disallow (RFC 9309 2.3.1.4)
        (503, "", NO, NO),
        (429, "", NO, NO),  # overloaded: as a 5xx
    ],
)
async def test_robots_txt_is_honoured_for_the_daemons_product_token(
    server: FeedServer,
    pages: PageFetcher,
    status: int,
    robots: str,
    private: PageOutcome,
    public: PageOutcome,
) -> None:
    serve_pages(server)
    server.add_status("/robots.txt", status, {"Content-Type": "text/plain"}, robots.encode())
    feed = feed_of(server)
    outcomes = [
        (await pages.fetch(server.url(p), feed)).outcome for p in ("/private/a", "/public/a")
    ]
    assert outcomes == [private, public]
    fetched = [
        path
        for path, outcome in zip(("/private/a", "/public/a"), outcomes, strict=True)
        if outcome == OK
    ]
    assert [r.path for r in page_requests(server)] == fetched  # a disallowed page is not asked
    assert len(robots_requests(server)) == 1  # once per origin


async def test_a_feed_may_opt_out_of_robots_txt(server: FeedServer, pages: PageFetcher) -> None:
    serve_pages(server)
    server.add_status("/robots.txt", 200, {}, b"User-agent: *\nDisallow: /\n")
    assert (await pages.fetch(server.url("/public/a"), feed_of(server, robots=False))).ok
    assert robots_requests(server) == []


async def test_rules_are_kept_a_day_then_asked_again(
    server: FeedServer, pages: PageFetcher, clock: Clock
) -> None:
    serve_pages(server)
    server.add_status("/robots.txt", 200, {}, b"User-agent: *\nDisallow: /private\n")
    feed = feed_of(server)
    assert (await pages.fetch(server.url("/public/a"), feed)).ok
    clock.now += ROBOTS_TTL - 1
    assert (await pages.fetch(server.url("/private/a"), feed)).outcome is NO
    assert len(robots_requests(server)) == 1
    clock.now += 1
    server.add_status("/robots.txt", 404)
    assert (await pages.fetch(server.url("/public/b"), feed)).ok
    assert len(robots_requests(server)) == 2


async def test_an_unreachable_robots_txt_disallows_for_a_short_while_only(
    server: FeedServer, pages: PageFetcher, clock: Clock
) -> None:
    serve_pages(server)
    server.add_status("/robots.txt", 503)
    feed = feed_of(server)
    assert (await pages.fetch(server.url("/public/a"), feed)).outcome is NO
    server.add_status("/robots.txt", 404)
    clock.now += UNREACHABLE_TTL
    assert (await pages.fetch(server.url("/public/b"), feed)).ok
    assert len(robots_requests(server)) == 2


async def test_a_robots_txt_that_never_answers_disallows(
    server: FeedServer, fetcher: Fetcher, clock: Clock, gate: threading.Event
) -> None:
    serve_pages(server)
    server.add_route("/robots.txt", held(gate))
    pages = PageFetcher(fetcher, robots=RobotsRules(fetcher, clock=clock, timeout=0.01))
    assert (await pages.fetch(server.url("/public/a"), feed_of(server))).outcome is NO
    assert page_requests(server) == []


async def test_pages_of_one_site_at_once_ask_for_robots_txt_once(
    server: FeedServer, pages: PageFetcher, gate: threading.Event
) -> None:
    serve_pages(server)
    asked = threading.Event()

    def robots(_request: RecordedRequest) -> Reply:
        asked.set()
        gate.wait()
        return Reply(404)

    server.add_route("/robots.txt", robots)
    feed = feed_of(server)
    links = [server.url(path) for path in ("/public/a", "/public/b")]
    fetches = [asyncio.ensure_future(pages.fetch(link, feed)) for link in links]
    await asyncio.to_thread(asked.wait)  # the first robots.txt request is being answered
    gate.set()
    assert [page.outcome for page in await asyncio.gather(*fetches)] == [OK, OK]
    assert len(robots_requests(server)) == 1


async def test_the_rules_of_the_least_recent_sites_are_let_go(
    pages: PageFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("monitor.pages.robots.ORIGINS_KEPT", 1)
    with FeedServer() as one, FeedServer() as two:
        for server in (one, two):
            serve_pages(server)
            server.add_status("/robots.txt", 404)
        feed = feed_of(one)
        for link in (one.url("/public/a"), two.url("/public/a"), one.url("/public/b")):
            assert (await pages.fetch(link, feed)).ok
        assert (len(robots_requests(one)), len(robots_requests(two))) == (2, 1)
