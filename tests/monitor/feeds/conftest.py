"""Fixtures of the feed tests: a loopback feed server and a fetcher with the tests' User-Agent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from monitor.feeds.fetcher import Fetcher
from tests.support.feedserver import FeedServer
from tests.support.fetching import USER_AGENT


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent=USER_AGENT, read_timeout=10, total_timeout=30) as f:
        yield f


@pytest.fixture
def servers() -> Iterator[tuple[FeedServer, FeedServer]]:
    """A WebSub hub's server and the feed's."""
    with FeedServer() as hub_server, FeedServer() as feed_server:
        yield hub_server, feed_server
