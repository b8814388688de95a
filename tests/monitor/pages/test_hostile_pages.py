"""Hostile or useless pages from a real loopback server: each is its reason, logged once
per feed and reason, never raised, and its body never handed on."""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from monitor.feeds import Fetcher
from monitor.pages import PageFetcher, PageOutcome, looks_like_a_wall, redirect_outcome, same_site
from monitor.pages.outcome import LOG_EVERY
from tests.support.feedserver import FeedServer, Reply
from tests.support.pages import HTML, Clock, feed_of, html_route

MIB = 1024 * 1024
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}


def fifty_megabytes() -> Iterator[bytes]:
    yield b"<html><body>"
    for _ in range(50):
        yield b"a" * MIB


def endless() -> Iterator[bytes]:
    yield b"<html><body>"
    for _ in itertools.count():
        yield b"<p>more</p>" * 6000


def gzip_bomb(decoded_bytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * MIB
    return b"".join(packer.compress(chunk) for _ in range(decoded_bytes // MIB)) + packer.flush()


def on_another_site(server: FeedServer, path: str) -> str:
    """``path`` on the test server, by a name (``localhost``) that is not the feed's host."""
    return server.url(path).replace("127.0.0.1", "localhost", 1)


def serve_hostile(server: FeedServer) -> None:
    server.add_stream("/huge", fifty_megabytes, HTML_TYPE)
    server.add_route(
        "/declared-huge",
        lambda _r: Reply(200, {**HTML_TYPE, "Content-Length": str(50 * MIB)}, fifty_megabytes()),
    )
    server.add_stream("/endless", endless, {**HTML_TYPE, "Transfer-Encoding": "chunked"})
    bomb = gzip_bomb(100 * MIB)
    server.add_route(
        "/bomb", lambda _r: Reply(200, {**HTML_TYPE, "Content-Encoding": "gzip"}, bomb)
    )
    server.add_stream("/report.pdf", fifty_megabytes, {"Content-Type": "application/pdf"})
    server.add_route("/photo", lambda _r: Reply(200, {"Content-Type": "image/jpeg"}, b"\xff\xd8"))
    server.add_route("/api", lambda _r: Reply(200, {"Content-Type": "application/json"}, b"{}"))
    server.add_route("/untyped", lambda _r: Reply(200, {}, HTML))
    server.add_redirect("/to-login", "/account/login?next=%2Fa%2F1")
    server.add_route("/account/login?next=%2Fa%2F1", html_route())
    server.add_redirect("/to-consent", "/gdpr/consent/")
    server.add_route("/gdpr/consent/", html_route())
    server.add_redirect("/to-paywall", "/subscribe?return=%2Fa")
    server.add_route("/subscribe?return=%2Fa", html_route())
    server.add_redirect("/to-front-page", "/")
    server.add_route("/", html_route())
    server.add_redirect("/to-another-site", on_another_site(server, "/landing"))
    server.add_route("/landing", html_route())
    server.add_redirect("/loop", "/loop2")
    server.add_redirect("/loop2", "/loop")
    server.add_status("/missing", 404)
    server.add_route(
        "/corrupt", lambda _r: Reply(200, {**HTML_TYPE, "Content-Encoding": "gzip"}, b"not gzip")
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/huge", PageOutcome.TOO_LARGE),
        ("/declared-huge", PageOutcome.TOO_LARGE),
        ("/endless", PageOutcome.TOO_LARGE),
        ("/bomb", PageOutcome.TOO_LARGE),
        ("/report.pdf", PageOutcome.NOT_HTML),
        ("/photo", PageOutcome.NOT_HTML),
        ("/api", PageOutcome.NOT_HTML),
        ("/untyped", PageOutcome.NOT_HTML),
        ("/to-login", PageOutcome.LOGIN_OR_CONSENT),
        ("/to-consent", PageOutcome.LOGIN_OR_CONSENT),
        ("/to-paywall", PageOutcome.LOGIN_OR_CONSENT),
        ("/to-front-page", PageOutcome.FRONT_PAGE),
        ("/to-another-site", PageOutcome.OFF_SITE),
        ("/loop", PageOutcome.REDIRECT),
        ("/missing", PageOutcome.HTTP_STATUS),
        ("/corrupt", PageOutcome.PROTOCOL),
    ],
)
async def test_a_hostile_page_is_its_reason_logged_once_and_never_raised(
    server: FeedServer, pages: PageFetcher, path: str, reason: PageOutcome
) -> None:
    serve_hostile(server)
    feed = feed_of(server, robots=False)
    with capture_logs() as logs:
        page = await pages.fetch(server.url(path), feed)
    assert (page.outcome, page.body) == (reason, b"")
    failures = [entry for entry in logs if entry["event"] == "page_fetch_failed"]
    assert [(e["reason"], e["page_url"], e["feed_url"]) for e in failures] == [
        (reason.value, server.url(path), feed.url)
    ]
    assert all("exc_info" not in entry for entry in logs)


async def test_the_page_cap_never_exceeds_the_feeds_own(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add_route("/a/1", html_route(b"<html>" + b"a" * 4096 + b"</html>"))
    server.add_route("/a/2", html_route(b"<html>" + b"a" * 4096 + b"</html>"))
    small_feed = feed_of(server, robots=False, max_body_bytes=2048)
    pages = PageFetcher(fetcher)
    assert (await pages.fetch(server.url("/a/1"), small_feed)).outcome is PageOutcome.TOO_LARGE
    assert (await pages.fetch(server.url("/a/2"), feed_of(server, robots=False))).ok


async def test_failures_are_logged_once_per_feed_and_reason_then_hourly_with_a_count(
    server: FeedServer, fetcher: Fetcher, clock: Clock
) -> None:
    pages = PageFetcher(fetcher, clock=clock)
    for index in range(5):
        server.add_route(
            f"/doc{index}.pdf", lambda _r: Reply(200, {"Content-Type": "application/pdf"})
        )
    server.add_status("/missing", 404)
    feed = feed_of(server, robots=False)
    with capture_logs() as logs:
        for index in range(3):
            await pages.fetch(server.url(f"/doc{index}.pdf"), feed)
        await pages.fetch(server.url("/missing"), feed)
        clock.now += LOG_EVERY
        await pages.fetch(server.url("/doc3.pdf"), feed)
    lines = [(e["reason"], e["not_logged"]) for e in logs if e["event"] == "page_fetch_failed"]
    assert lines == [("not_html", 0), ("http_status", 0), ("not_html", 2)]
    assert pages.stats().feeds[feed.url] == {PageOutcome.NOT_HTML: 4, PageOutcome.HTTP_STATUS: 1}


async def test_secrets_in_links_are_redacted_in_the_log(
    server: FeedServer, pages: PageFetcher
) -> None:
    server.add_status("/missing?token=s3cret", 404)
    feed = feed_of(server, robots=False)
    with capture_logs() as logs:
        await pages.fetch(server.url("/missing?token=s3cret"), feed)
    assert "s3cret" not in repr(logs) and logs[0]["event"] == "page_fetch_failed"


@pytest.mark.parametrize(
    ("url", "wall"),
    [
        ("https://example.com/account/login?next=/a", True),
        ("https://example.com/signin", True),
        ("https://example.com/sign-in/", True),
        ("https://example.com/gdpr/consent", True),
        ("https://example.com/cookie-wall?r=1", True),
        ("https://example.com/subscribe", True),
        ("https://example.com/a?paywall=1", True),
        ("https://consent.example.com/v2/collect", True),
        ("https://accounts.example.com/o/", True),
        ("https://guce.example.com/consent", True),
        ("https://www.example.com/world/2026/12/06/story", False),
        ("https://www.example.com/news/subscriber-growth-slows", False),
        ("https://www.example.com/news/the-blogin-story", False),
        ("https://login.example/", False),  # a site's own name, not a label before it
    ],
)
def test_walls_are_told_by_host_label_or_path_word(url: str, wall: bool) -> None:
    assert looks_like_a_wall(url) is wall


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("https://www.example.com/a", "https://example.com/feed", True),
        ("https://m.example.com/a", "https://www.example.com/rss", True),
        ("https://news.example.co.uk/a", "https://example.co.uk/", True),
        ("http://example.com:8080/a", "https://example.com/", True),
        ("https://EXAMPLE.com./a", "https://example.com/", True),
        ("https://example.com/a", "https://example.org/", False),
        ("https://a.com/", "https://b.com/", False),
        ("https://example.com.evil.net/", "https://example.com/", False),
        ("http://127.0.0.1/a", "http://127.0.0.2/", False),
        ("http://127.0.0.1:1/a", "http://127.0.0.1:2/", True),
        ("http://localhost/a", "http://127.0.0.1/", False),
        ("not a url", "https://example.com/", False),
    ],
)
def test_sites_are_hosts_under_one_parent(first: str, second: str, same: bool) -> None:
    assert same_site(first, second) is same
    assert same_site(second, first) is same


FEED = "https://www.outlet.example/rss"


@pytest.mark.parametrize(
    ("link", "final", "outcome"),
    [
        ("https://www.outlet.example/a/1", "https://outlet.example/a/1", PageOutcome.OK),
        ("https://www.outlet.example/a/1", "https://m.outlet.example/a/1", PageOutcome.OK),
        ("https://www.outlet.example/a/1", "https://www.outlet.example/", PageOutcome.FRONT_PAGE),
        ("https://www.outlet.example/a/1", "https://partner.example/a/1", PageOutcome.OFF_SITE),
        ("https://short.example/x1", "https://partner.example/a/1", PageOutcome.OK),
        ("https://short.example/x1", "https://partner.example/", PageOutcome.FRONT_PAGE),
        ("https://www.outlet.example/", "https://outlet.example/", PageOutcome.OK),
        ("https://www.outlet.example/a/1", "https://www.outlet.example/?p=1", PageOutcome.OK),
        (
            "https://short.example/x1",
            "https://login.partner.example/",
            PageOutcome.LOGIN_OR_CONSENT,
        ),
    ],
)
def test_a_redirect_is_used_only_when_it_still_ends_on_an_article(
    link: str, final: str, outcome: PageOutcome
) -> None:
    assert redirect_outcome(link, final, FEED) is outcome
