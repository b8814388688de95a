"""Reading a fetched page (``monitor.ingest.full_text.read_page``) from a real loopback
server: a feed's ``content_selector`` that matches nothing on its site's pages is said
once per feed (then hourly), and the page is still read by trafilatura."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from structlog.testing import capture_logs

from monitor.feeds import Fetcher
from monitor.ingest.full_text import read_page
from monitor.pages import PageFetcher, extract
from monitor.store import Store
from tests.support.articles import article_page
from tests.support.feedserver import FeedServer
from tests.support.pages import feed_of, html_route

PARAGRAPHS = (
    "The harbour authority closed the northern breakwater to walkers on Thursday after"
    " winter storms opened a crack along the length of its seaward wall.",
    "Engineers will survey the structure next week, and the authority says repairs are"
    " unlikely to begin before the spring tides have passed the coast.",
)


@dataclass
class _Pipe:
    """What reading a page needs of the pipeline: the page fetcher; no store or workers."""

    pages: PageFetcher
    store: Store | None = None
    parse_executor: None = None


@pytest.fixture(name="server")
def _server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        for path in ("/a/1", "/a/2", "/a/3"):
            server.add_route(path, html_route(article_page(PARAGRAPHS, title="T").encode()))
        yield server


@pytest.fixture(name="pipe")
async def _pipe() -> AsyncIterator[_Pipe]:
    async with Fetcher(user_agent="wirewatch/test (+https://example.invalid)") as fetcher:
        yield _Pipe(PageFetcher(fetcher))


@pytest.mark.parametrize(
    ("selector", "said"),
    [(".story-body-that-was-renamed", True), ("article", False), (None, False)],
)
async def test_a_selector_matching_nothing_is_said_once_per_feed_and_the_page_still_read(
    server: FeedServer, pipe: _Pipe, selector: str | None, said: bool
) -> None:
    feed = feed_of(server, robots=False, content_selector=selector)
    with capture_logs() as logs:
        readings = [
            await read_page(await pipe.pages.fetch(server.url(path), feed), feed, pipe)  # type: ignore[arg-type]
            for path in ("/a/1", "/a/2", "/a/3")
        ]
    assert all(PARAGRAPHS[0] in reading.text for reading in readings)
    missed = [line for line in logs if line["event"] == "content_selector_missed"]
    expected = [(server.url("/a/1"), selector, feed.url, 0)] if said else []
    assert [
        (line["page_url"], line["content_selector"], line["feed_url"], line["not_logged"])
        for line in missed
    ] == expected


async def test_a_page_that_breaks_the_extractor_is_logged_with_its_address_and_error(
    server: FeedServer, pipe: _Pipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a page makes the parser or extractor raise is named in the log with the
    page and its feed (not only counted as "unparsable"), and the entry goes on."""

    def broken(*_: object) -> None:  # an extractor bug met by one page
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(extract, "_from_tree", broken)
    feed = feed_of(server, robots=False)
    with capture_logs() as logs:
        reading = await read_page(await pipe.pages.fetch(server.url("/a/1"), feed), feed, pipe)  # type: ignore[arg-type]
    assert (reading.text, reading.issue) == ("", "unparsable")
    said = [line for line in logs if line["event"] == "page_unparsable"]
    assert [(line["feed_url"], line["page_url"], line["error"]) for line in said] == [
        (feed.url, server.url("/a/1"), "RecursionError: maximum recursion depth exceeded")
    ]
