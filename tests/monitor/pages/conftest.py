"""A loopback server, the feeds' Fetcher and a PageFetcher on it, with a clock to move."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

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


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="wirewatch/test (+https://example.invalid)") as f:
        yield f


@pytest.fixture
def pages(fetcher: Fetcher, clock: Clock) -> PageFetcher:
    return PageFetcher(fetcher, robots=RobotsRules(fetcher, clock=clock), clock=clock)
