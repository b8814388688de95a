"""Article pages fetched from a real loopback server: what comes back, what is sent, and
each link fetched once."""

from __future__ import annotations

import asyncio
import threading

import pytest

from monitor.feeds import Fetcher
from monitor.pages import FetchedPage, Late, PageFetcher, PageOutcome, RobotsRules
from tests.support.feedserver import FeedServer, Reply
from tests.support.pages import HTML, Clock, feed_of, held, html_route, page_requests


async def test_a_page_comes_with_its_body_final_url_status_and_declared_charset(
    server: FeedServer, pages: PageFetcher
) -> None:
    server.add_route("/a/1", html_route())
    page = await pages.fetch(server.url("/a/1"), feed_of(server))
    assert page == FetchedPage(
        server.url("/a/1"),
        PageOutcome.OK,
        final_url=server.url("/a/1"),
        status=200,
        content_type="text/html; charset=utf-8",
        charset="utf-8",
        body=HTML,
    )
    assert page.body == HTML
    sent = page_requests(server)[0].headers
    assert sent["accept"].startswith("text/html")
    assert sent["user-agent"].startswith("wirewatch/")


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/html; charset=windows-1256", "windows-1256"),
        ('text/html; charset="ISO-8859-1"', "ISO-8859-1"),
        ("text/html", None),
        ("text/html; charset=", None),
        ("application/xhtml+xml; charset=utf-8", "utf-8"),
    ],
)
async def test_the_declared_charset_is_passed_on_as_sent_with_the_bytes_untouched(
    server: FeedServer, pages: PageFetcher, content_type: str, charset: str | None
) -> None:
    body = "<html><body>Lattaquié — اللاذقية</body></html>".encode()  # UTF-8, whatever is said
    server.add_route("/a/1", html_route(body, content_type))
    page = await pages.fetch(server.url("/a/1"), feed_of(server))
    assert (page.outcome, page.charset, page.body) == (PageOutcome.OK, charset, body)


async def test_the_feeds_headers_go_to_its_own_origin_only(pages: PageFetcher) -> None:
    with FeedServer() as own, FeedServer() as other:
        own.add_route("/a/1", html_route())
        own.add_redirect("/a/2", other.url("/b/2"))
        other.add_route("/b/1", html_route())
        other.add_route("/b/2", html_route())
        feed = feed_of(own, headers={"X-Api-Key": "k-123"})
        for link in (own.url("/a/1"), other.url("/b/1"), own.url("/a/2")):
            assert (await pages.fetch(link, feed)).ok
        keys = [r.headers.get("x-api-key") for r in [*page_requests(own), *page_requests(other)]]
        assert keys == ["k-123", "k-123", None, None]  # own /a/1, own /a/2; other /b/1, /b/2


async def test_a_shortener_on_another_site_is_followed_to_the_article(
    pages: PageFetcher,
) -> None:
    with FeedServer() as shortener, FeedServer() as publisher:
        publisher.add_route("/story", html_route())
        shortener.add_redirect("/r/1", publisher.url("/story"), status=301)
        link = shortener.url("/r/1").replace("127.0.0.1", "localhost", 1)  # not the feed's site
        page = await pages.fetch(link, feed_of(publisher))
        assert (page.outcome, page.final_url) == (PageOutcome.OK, publisher.url("/story"))


async def test_two_entries_of_one_link_at_once_make_one_request(
    server: FeedServer, pages: PageFetcher, gate: threading.Event
) -> None:
    server.add_route("/a/1", held(gate))
    feed = feed_of(server)
    first = asyncio.ensure_future(pages.fetch(server.url("/a/1"), feed))
    second = asyncio.ensure_future(pages.fetch(server.url("/a/1?utm_source=x#top"), feed))
    gate.set()
    results = await asyncio.gather(first, second)
    assert [page.outcome for page in results] == [PageOutcome.OK, PageOutcome.OK]
    assert len(page_requests(server)) == 1


@pytest.mark.parametrize(
    "again", ["/a/1", "/a/1/", "/a/1?utm_campaign=rss", "/a/1#comments", "/amp/a/1"]
)
async def test_a_link_fetched_before_is_not_fetched_again(
    server: FeedServer, pages: PageFetcher, again: str
) -> None:
    server.add_route("/a/1", html_route())
    feed = feed_of(server)
    assert (await pages.fetch(server.url("/a/1"), feed)).ok
    page = await pages.fetch(server.url(again), feed)
    assert (page.outcome, page.body) == (PageOutcome.ALREADY_FETCHED, b"")
    assert len(page_requests(server)) == 1


async def test_a_failed_link_is_not_tried_again_either(
    server: FeedServer, pages: PageFetcher
) -> None:
    server.add_status("/gone", 410)
    feed = feed_of(server)
    assert (await pages.fetch(server.url("/gone"), feed)).outcome is PageOutcome.HTTP_STATUS
    assert (await pages.fetch(server.url("/gone"), feed)).outcome is PageOutcome.ALREADY_FETCHED
    assert len(page_requests(server)) == 1


async def test_the_memory_of_links_is_bounded(server: FeedServer, fetcher: Fetcher) -> None:
    pages = PageFetcher(fetcher, remembered=2)
    for path in ("/a/1", "/a/2", "/a/3"):
        server.add_route(path, html_route())
    feed = feed_of(server, robots=False)
    for path in ("/a/1", "/a/2", "/a/3", "/a/1"):
        assert (await pages.fetch(server.url(path), feed)).ok  # /a/1 forgotten by then
    assert [r.path for r in page_requests(server)] == ["/a/1", "/a/2", "/a/3", "/a/1"]


async def test_the_store_hook_keeps_a_link_from_being_fetched_after_a_restart(
    server: FeedServer, fetcher: Fetcher
) -> None:
    asked: list[str] = []

    async def stored(link: str) -> bool:
        asked.append(link)
        return link.endswith("/a/1")

    pages = PageFetcher(fetcher, already_fetched=stored)
    server.add_route("/a/1", html_route())
    server.add_route("/a/2", html_route())
    feed = feed_of(server, robots=False)
    one = await pages.fetch(server.url("/a/1?utm_source=rss"), feed)
    two = await pages.fetch(server.url("/a/2"), feed)
    assert (one.outcome, two.outcome) == (PageOutcome.ALREADY_FETCHED, PageOutcome.OK)
    assert asked == [server.url("/a/1"), server.url("/a/2")]  # canonical links
    assert [r.path for r in page_requests(server)] == ["/a/2"]


@pytest.mark.parametrize("link", ["ftp://127.0.0.1/a", "not a url", "https:///nohost", ""])
async def test_a_link_that_is_not_a_web_address_is_refused_unrequested(
    server: FeedServer, pages: PageFetcher, link: str
) -> None:
    assert (await pages.fetch(link, feed_of(server))).outcome is PageOutcome.INVALID_URL
    assert server.requests == []


async def test_a_page_slower_than_the_feeds_timeout_is_late_then_delivered(
    server: FeedServer, pages: PageFetcher, gate: threading.Event
) -> None:
    server.add_route("/a/1", held(gate))
    feed = feed_of(server, full_text_timeout=0.01)
    late = await pages.fetch_within(server.url("/a/1"), feed)
    assert isinstance(late, Late)
    gate.set()
    page = await late.page
    assert (page.outcome, page.body) == (PageOutcome.OK, HTML)
    assert pages.stats().total(PageOutcome.OK) == 1


async def test_a_page_within_the_timeout_is_returned_as_is(
    server: FeedServer, pages: PageFetcher
) -> None:
    server.add_route("/a/1", html_route())
    page = await pages.fetch_within(server.url("/a/1"), feed_of(server), wait=60)
    assert isinstance(page, FetchedPage) and page.ok


async def test_closing_ends_a_late_fetch(
    server: FeedServer, fetcher: Fetcher, clock: Clock, gate: threading.Event
) -> None:
    pages = PageFetcher(fetcher, robots=RobotsRules(fetcher, clock=clock))
    server.add_route("/a/1", held(gate))
    late = await pages.fetch_within(server.url("/a/1"), feed_of(server), wait=0)
    assert isinstance(late, Late)
    await pages.aclose()
    assert late.page.cancelled()


async def test_outcomes_are_counted_per_feed(server: FeedServer, pages: PageFetcher) -> None:
    server.add_route("/a/1", html_route())
    server.add_route("/a/2", html_route())
    server.add_route(
        "/doc.pdf", lambda _r: Reply(200, {"Content-Type": "application/pdf"}, b"%PDF")
    )
    one, two = feed_of(server), feed_of(server, name="two")
    two = two.model_copy(update={"url": server.url("/other.xml")})
    for link, feed in [("/a/1", one), ("/doc.pdf", one), ("/a/1", two), ("/a/2", two)]:
        await pages.fetch(server.url(link), feed)
    assert pages.stats().feeds == {
        one.url: {PageOutcome.OK: 1, PageOutcome.NOT_HTML: 1},
        two.url: {PageOutcome.OK: 1, PageOutcome.ALREADY_FETCHED: 1},
    }


async def test_a_remembered_address_counts_as_fetched(
    server: FeedServer, pages: PageFetcher
) -> None:
    """The canonical address a page just read gave (remembered by the ingest) is not
    fetched for another entry linking there, in whatever form."""
    server.add_route("/story/1", html_route())
    server.add_route("/story/2", html_route())
    pages.remember(server.url("/story/1"))
    feed = feed_of(server, robots=False)
    one = await pages.fetch(server.url("/story/1?utm_source=x#top"), feed)
    two = await pages.fetch(server.url("/story/2"), feed)
    assert (one.outcome, two.outcome) == (PageOutcome.ALREADY_FETCHED, PageOutcome.OK)
    assert [r.path for r in page_requests(server)] == ["/story/2"]


async def test_pages_in_flight_leave_the_feeds_their_share_of_the_fetchers_slots(
    server: FeedServer, gate: threading.Event
) -> None:
    """Two slow article pages and a fetcher of two slots: the page fetcher's one slot
    keeps the second page waiting, and the feed is fetched meanwhile."""
    arrived = threading.Event()
    server.add_route("/a/1", held(gate, arrived=arrived))
    server.add_route("/a/2", held(gate, arrived=arrived))
    server.add_feed("/feed.xml", b"<rss version='2.0'><channel><title>t</title></channel></rss>")
    feed = feed_of(server, robots=False)
    async with Fetcher(user_agent="wirewatch/test", concurrency=2) as fetcher:
        pages = PageFetcher(fetcher, concurrency=1)
        held_pages = [
            asyncio.ensure_future(pages.fetch(server.url(p), feed)) for p in ("/a/1", "/a/2")
        ]
        await asyncio.to_thread(arrived.wait)  # a page holds a slot; the other is queued
        polled = await asyncio.wait_for(fetcher.fetch(feed.url), timeout=60)  # never waits
        assert polled.status == 200
        assert [r.path for r in page_requests(server) if r.path.startswith("/a/")] == ["/a/1"]
        gate.set()
        assert [page.ok for page in await asyncio.gather(*held_pages)] == [True, True]
