"""A feed's address parsed once and kept while the feed is configured (FeedAddresses), one
a feed, whatever its interval: let go by the prune after the feed is no longer configured,
never kept for a page or an invalid address."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.feeds.errors import FetchError
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.redirects import FeedAddresses
from monitor.records.models import FeedState
from tests.support.feedserver import FeedServer
from tests.support.first_poll import FEED_PATH, one_feed_daemon, run_until_first_poll
from tests.support.processes import HANG_GUARD

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
FEED, OTHER = "http://feeds.example/a.xml", "http://feeds.example/b.xml"


def test_an_address_is_kept_while_its_feed_is_configured_and_let_go_after() -> None:
    addresses = FeedAddresses()
    first, other = addresses.parse(FEED, FEED), addresses.parse(OTHER, OTHER)
    assert addresses.parse(FEED, FEED) is first  # parsed once
    for _ in range(3):  # hours without a fetch: a feed polled less often than hourly
        assert addresses.retain({FEED, OTHER}) == 0
    assert addresses.parse(OTHER, OTHER) is other
    assert addresses.retain({FEED}) == 1  # OTHER no longer configured: let go
    assert len(addresses) == 1 and addresses.parse(FEED, FEED) is first
    assert addresses.parse(OTHER, OTHER) is not other  # parsed anew


def test_a_feed_keeps_one_address_the_one_it_was_fetched_at_last() -> None:
    """A feed that moved is fetched at its new address: that one replaces the old."""
    addresses = FeedAddresses()
    old = addresses.parse(FEED, FEED)
    moved = addresses.parse(OTHER, FEED)
    assert len(addresses) == 1 and addresses.parse(OTHER, FEED) is moved
    assert addresses.parse(FEED, FEED) is not old


@pytest.mark.parametrize("url", ["ftp://feeds.example/a.xml", "http://[::1", "http:///a.xml"])
def test_an_address_that_fails_fails_each_time_and_is_never_kept(url: str) -> None:
    addresses = FeedAddresses()
    for _ in range(2):
        with pytest.raises(FetchError):
            addresses.parse(url, url)
    assert len(addresses) == 0


async def test_a_feeds_address_is_kept_by_its_fetcher_and_a_pages_is_not() -> None:
    with FeedServer() as server:
        server.add_feed("/feed.xml", RSS)
        server.add_feed("/page.html", b"<html></html>")
        feed = server.url("/feed.xml")
        async with Fetcher() as fetcher:
            for _ in range(2):
                await fetcher.fetch(feed, FeedState(url=feed))
                await fetcher.fetch(server.url("/page.html"))  # no state: not a feed's poll
            kept = fetcher.addresses
            assert len(kept) == 1 and kept.parse(feed, feed) is kept.parse(feed, feed)


async def test_the_daemons_hourly_prune_keeps_a_configured_feeds_address_unfetched(
    tmp_path: Path,
) -> None:
    async with one_feed_daemon(tmp_path) as (daemon, feeds):
        stop, running = await run_until_first_poll(daemon)
        addresses = daemon.polling.fetcher.addresses
        prune = daemon.scheduler.get_job("prune")
        assert len(addresses) == 1  # the feed's, from its first poll
        kept = addresses.parse(feeds.url(FEED_PATH), feeds.url(FEED_PATH))
        for _ in range(3):  # hours without a poll: its interval is longer
            await prune.func()
        assert addresses.parse(feeds.url(FEED_PATH), feeds.url(FEED_PATH)) is kept
        assert len(addresses) == 1 and len(feeds.requests_to(FEED_PATH)) == 1
        stop.set()
        await asyncio.wait_for(running, HANG_GUARD)
        await daemon.close()
