"""A loopback server, the feeds' Fetcher and a PageFetcher on it, with a clock to move."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from ipaddress import IPv4Network, IPv6Network

import pytest

from monitor.feeds import Fetcher
from monitor.pages import PageFetcher, RobotsRules
from tests.support.feedserver import FeedServer
from tests.support.pages import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def gate(server: FeedServer) -> Iterator[threading.Event]:
    """Set by the test to let a held route answer; set at the end in any case."""
    event = threading.Event()
    yield event
    event.set()


# Loopback servers stand in for public sites here, "localhost" and 127.0.0.2 for sites
# other than the feed's; test_private_addresses.py checks the guard with none allowed.
LOOPBACK = (IPv4Network("127.0.0.0/8"), IPv6Network("::1/128"))


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    agent = "wirewatch/test (+https://example.invalid)"
    async with Fetcher(user_agent=agent, private_networks=LOOPBACK) as f:
        yield f


@pytest.fixture
def pages(fetcher: Fetcher, clock: Clock) -> PageFetcher:
    return PageFetcher(fetcher, robots=RobotsRules(fetcher, clock=clock), clock=clock)
