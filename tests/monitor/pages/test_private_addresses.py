"""Article pages reach public addresses only, but on the feed's own host and in the
allowed private networks: a hostile feed's links to the daemon's own network are refused
as PRIVATE_ADDRESS with no request made. The "internal service" is a loopback server on
127.0.0.1 that records every request; the feed is on another loopback address, 127.0.0.2."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Network

import pytest
import structlog

from monitor.feeds import Fetcher
from monitor.pages import PageFetcher, PageOutcome, RobotsRules
from tests.support.feedserver import FeedServer
from tests.support.pages import Clock, feed_of, html_route

HANG_GUARD = 30.0  # seconds: a hang guard, not a timing threshold
OTHER_HOST = "127.0.0.2"  # the feed's host: a loopback address the internal service is not on


@pytest.fixture(name="internal")
def _internal() -> Iterator[FeedServer]:
    """An internal service: answers anything (so a request that got through would give a
    page) and records every request."""
    with FeedServer() as service:
        service.add_route("/", html_route())
        service.add_route("/admin", html_route())
        service.add_route("/robots.txt", html_route(b"", "text/plain"))
        yield service


@pytest.fixture(name="feed")
def _feed() -> Iterator[FeedServer]:
    with FeedServer(host=OTHER_HOST) as server:
        yield server


async def _pages(clock: Clock, *allowed: IPv4Network) -> AsyncIterator[PageFetcher]:
    async with Fetcher(user_agent="wirewatch/test", private_networks=allowed) as fetcher:
        pages = PageFetcher(fetcher, robots=RobotsRules(fetcher, clock=clock), clock=clock)
        yield pages
        await pages.aclose()


@pytest.fixture(name="guarded")
async def _guarded(clock: Clock) -> AsyncIterator[PageFetcher]:
    async for pages in _pages(clock):
        yield pages


@pytest.mark.parametrize(
    "link",
    [
        "http://127.0.0.1:{port}/admin",
        "http://localhost:{port}/admin",  # a name that resolves to loopback
        "http://2130706433:{port}/admin",  # 127.0.0.1 as one decimal number
        "http://0x7f.1:{port}/admin",  # hex
        "http://0177.1:{port}/admin",  # octal
        "http://127.1:{port}/admin",
        "http://[::ffff:127.0.0.1]:{port}/admin",  # IPv4-mapped IPv6
        "http://0.0.0.0:{port}/admin",  # unspecified: this host
        "http://[::1]:{port}/admin",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.5/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # CGNAT
        "http://224.0.0.1/",  # multicast
        "http://192.0.2.10/",  # documentation
        "http://240.0.0.1/",  # reserved
        "http://[fc00::1]/",
        "http://[fe80::1]/",
        "https://[::ffff:a9fe:a9fe]/latest/meta-data/",  # 169.254.169.254, mapped
    ],
)
async def test_a_link_to_a_non_public_address_is_refused_without_a_request(
    guarded: PageFetcher, internal: FeedServer, feed: FeedServer, link: str
) -> None:
    page = await guarded.fetch(link.format(port=internal.port), feed_of(feed))
    assert (page.outcome, page.body) == (PageOutcome.PRIVATE_ADDRESS, b"")
    assert internal.requests == []  # not robots.txt either
    assert guarded.stats().total(PageOutcome.PRIVATE_ADDRESS) == 1


async def test_a_redirect_to_a_private_address_is_refused_at_that_hop(
    guarded: PageFetcher, internal: FeedServer, feed: FeedServer
) -> None:
    feed.add_redirect("/story", f"http://localhost:{internal.port}/admin")
    page = await guarded.fetch(feed.url("/story"), feed_of(feed))
    assert page.outcome is PageOutcome.PRIVATE_ADDRESS
    assert [r.path for r in feed.requests] == ["/robots.txt", "/story"]  # the feed's host
    assert internal.requests == []


async def test_a_page_on_the_feeds_own_host_is_fetched(
    guarded: PageFetcher, internal: FeedServer
) -> None:
    page = await guarded.fetch(internal.url("/admin"), feed_of(internal))  # same host
    assert page.outcome is PageOutcome.OK
    assert [r.path for r in internal.requests] == ["/robots.txt", "/admin"]


async def test_a_feeds_host_on_another_port_is_the_same_host(
    guarded: PageFetcher, internal: FeedServer
) -> None:
    with FeedServer() as feed:  # 127.0.0.1 too
        page = await guarded.fetch(internal.url("/admin"), feed_of(feed))
    assert page.outcome is PageOutcome.OK


@pytest.mark.parametrize(
    ("allowed", "outcome"),
    [
        (IPv4Network("127.0.0.0/8"), PageOutcome.OK),
        (IPv4Network("127.0.0.1/32"), PageOutcome.OK),
        (IPv4Network("127.0.0.2/32"), PageOutcome.PRIVATE_ADDRESS),
        (IPv4Network("10.0.0.0/8"), PageOutcome.PRIVATE_ADDRESS),
    ],
)
async def test_an_allowed_private_network_lets_its_pages_through(
    clock: Clock,
    internal: FeedServer,
    feed: FeedServer,
    allowed: IPv4Network,
    outcome: PageOutcome,
) -> None:
    async for pages in _pages(clock, allowed):
        page = await pages.fetch(internal.url("/admin"), feed_of(feed))
        assert page.outcome is outcome
    assert bool(internal.requests) is (outcome is PageOutcome.OK)


async def test_the_refusal_is_logged_once_per_feed_naming_feed_page_and_reason(
    guarded: PageFetcher, internal: FeedServer, feed: FeedServer
) -> None:
    with structlog.testing.capture_logs() as logs:
        for path in ("/admin", "/", "/other"):
            await guarded.fetch(internal.url(path), feed_of(feed))
    failed = [line for line in logs if line["event"] == "page_fetch_failed"]
    assert [(line["reason"], line["feed_url"]) for line in failed] == [
        ("private_address", feed.url("/feed.xml"))
    ]
    assert failed[0]["page_url"] == internal.url("/admin")


async def test_feeds_themselves_may_be_on_private_addresses(internal: FeedServer) -> None:
    async with Fetcher(user_agent="wirewatch/test") as fetcher:
        result = await fetcher.fetch(internal.url("/admin"))
    assert result.status == 200


async def test_page_hosts_are_resolved_without_the_loops_default_threads(
    guarded: PageFetcher, internal: FeedServer, feed: FeedServer
) -> None:
    """The default executor's threads stuck (as on name servers that never answer): page
    hosts are still looked up, in threads of their own."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(1))
    release = threading.Event()
    stuck = loop.run_in_executor(None, release.wait)
    try:
        link = f"http://localhost:{internal.port}/admin"  # a name: it must be resolved
        page = await asyncio.wait_for(guarded.fetch(link, feed_of(feed)), HANG_GUARD)
        assert page.outcome is PageOutcome.PRIVATE_ADDRESS
    finally:
        release.set()
        await stuck


async def test_through_a_proxy_the_pages_host_is_checked_before_the_proxy_is_asked(
    guarded: PageFetcher, internal: FeedServer, feed: FeedServer
) -> None:
    """The proxy (the recording service here) would connect anywhere: it is not asked."""
    proxied = feed_of(feed, proxy=internal.url("/"))
    page = await guarded.fetch("http://169.254.169.254/latest/meta-data/", proxied)
    assert page.outcome is PageOutcome.PRIVATE_ADDRESS
    assert internal.requests == []
