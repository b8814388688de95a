"""Fetcher against a real HTTP server on loopback (and MockTransport for narrow cases): bodies,
validators and conditional GETs, connection reuse, concurrency, helpers (what it refuses:
test_fetcher_refusals.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from monitor.feeds.errors import FetchError
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.http_hints import parse_retry_after
from monitor.records.models import FeedState
from tests.support.feedserver import FeedServer
from tests.support.fetching import RSS, USER_AGENT
from tests.support.inflight import InFlightCounter

ETAG = '"rev-7"'

LAST_MODIFIED = "Tue, 05 Mar 2024 10:00:00 GMT"


class TestSuccess:
    async def test_returns_body_validators_and_content_type(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """A 200 yields the body plus ETag, Last-Modified, Content-Type and final URL."""
        server.add_feed("/feed.xml", RSS, etag=ETAG, last_modified=LAST_MODIFIED)
        result = await fetcher.fetch(server.url("/feed.xml"))
        assert (result.status, result.body, result.not_modified) == (200, RSS, False)
        assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)
        assert result.content_type == "application/rss+xml; charset=utf-8"
        assert result.url == result.final_url == server.url("/feed.xml")

    async def test_sends_user_agent_accept_and_encodings(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """Requests identify the caller's User-Agent and ask for feed types, gzip and deflate."""
        server.add_feed("/feed.xml", RSS)
        await fetcher.fetch(server.url("/feed.xml"))
        headers = server.requests_to("/feed.xml")[0].headers
        assert headers["user-agent"] == USER_AGENT
        assert "application/rss+xml" in headers["accept"]
        assert "application/feed+json" in headers["accept"]
        assert headers["accept-encoding"].startswith("gzip, deflate")

    async def test_default_user_agent_names_the_project(self, server: FeedServer) -> None:
        """Without a configured User-Agent the fetcher still says who it is and where to look."""
        server.add_feed("/feed.xml", RSS)
        async with Fetcher() as fetcher:
            await fetcher.fetch(server.url("/feed.xml"))
        agent = server.requests[0].headers["user-agent"]
        assert agent.startswith("wirewatch/")
        assert "(+https://github.com/wirewatch/wirewatch)" in agent

    async def test_gzip_content_encoding_is_decoded(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """A gzip-encoded answer is returned decoded."""
        server.add_feed("/feed.xml", RSS, gzip_body=True)
        assert (await fetcher.fetch(server.url("/feed.xml"))).body == RSS

    async def test_follows_redirects_and_records_final_url(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """Redirect chains within the limit are followed; final_url is where the body came from."""
        server.add_redirect("/old", "/older", status=301)
        server.add_redirect("/older", server.url("/feed.xml"), status=307)
        server.add_feed("/feed.xml", RSS)
        result = await fetcher.fetch(server.url("/old"))
        assert (result.url, result.final_url) == (server.url("/old"), server.url("/feed.xml"))
        assert result.body == RSS


class TestConditionalGet:
    @pytest.mark.parametrize(
        ("etag", "last_modified"),
        [(ETAG, None), (None, LAST_MODIFIED), (ETAG, LAST_MODIFIED)],
        ids=["etag", "last-modified", "both"],
    )
    async def test_second_fetch_sends_validators_and_gets_not_modified(
        self, server: FeedServer, fetcher: Fetcher, etag: str | None, last_modified: str | None
    ) -> None:
        """Validators from the first answer go out on the next poll; a 304 has an empty body."""
        server.add_feed("/feed.xml", RSS, etag=etag, last_modified=last_modified)
        url = server.url("/feed.xml")
        first = await fetcher.fetch(url)
        state = FeedState(url=url, etag=first.etag, last_modified=first.last_modified)
        second = await fetcher.fetch(url, state)
        assert second.not_modified
        assert (second.status, second.body) == (304, b"")
        assert (second.etag, second.last_modified) == (etag, last_modified)
        sent = server.requests_to("/feed.xml")[1].headers
        assert sent.get("if-none-match") == etag
        assert sent.get("if-modified-since") == last_modified

    async def test_first_fetch_sends_no_validators(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """Without remembered state the request is unconditional."""
        server.add_feed("/feed.xml", RSS, etag=ETAG)
        await fetcher.fetch(server.url("/feed.xml"), FeedState(url=server.url("/feed.xml")))
        headers = server.requests[0].headers
        assert "if-none-match" not in headers
        assert "if-modified-since" not in headers

    async def test_304_without_validators_keeps_the_remembered_ones(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """A bare 304 must not wipe the ETag/Last-Modified the daemon stored."""
        server.add_status("/a", 304)
        state = FeedState(url=server.url("/a"), etag=ETAG, last_modified=LAST_MODIFIED)
        result = await fetcher.fetch(state.url, state)
        assert (result.etag, result.last_modified, result.body) == (ETAG, LAST_MODIFIED, b"")


async def _keep_alive_server(connections: list[int]) -> asyncio.Server:
    """Answers every request on a connection with a 304 (keep-alive); counts connections."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n')
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_not_modified_answers_reuse_one_connection(fetcher: Fetcher) -> None:
    """A 304's end is read, so its connection goes back to the pool for the next poll."""
    connections: list[int] = []
    server = await _keep_alive_server(connections)
    async with server:
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/feed.xml"
        for _ in range(3):
            result = await fetcher.fetch(url, FeedState(url=url, etag='"v1"'))
            assert result.not_modified
        await fetcher.aclose()
    assert len(connections) == 1


class TestConcurrency:
    async def test_in_flight_requests_are_bounded_by_concurrency(self, server: FeedServer) -> None:
        """At most `concurrency` fetches are in flight; the rest wait their turn and succeed."""
        route = InFlightCounter(RSS, hold_until=2)
        for index in range(5):
            server.add_route(f"/{index}", route)
        async with Fetcher(concurrency=2) as fetcher:
            tasks = [asyncio.create_task(fetcher.fetch(server.url(f"/{i}"))) for i in range(5)]
            assert await asyncio.to_thread(route.wait_until_held)
            route.release()
            results = await asyncio.gather(*tasks)
        assert route.peak == 2
        assert [r.body for r in results] == [RSS] * 5


class TestHelpers:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("120", 120.0),
            (" 0 ", 0.0),
            ("Tue, 05 Mar 2024 10:01:00 GMT", 60.0),
            ("Tue, 05 Mar 2024 09:00:00 GMT", 0.0),  # in the past: retry now
            ("soon", None),
            ("-5", None),
            (None, None),
        ],
    )
    def test_parse_retry_after(self, value: str | None, expected: float | None) -> None:
        """Retry-After accepts delta-seconds or an HTTP-date; anything else is ignored."""
        now = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
        assert parse_retry_after(value, now=now) == expected

    def test_unknown_error_kind_is_a_programming_error(self) -> None:
        """FetchError kinds are a closed set, so callers can switch on them."""
        with pytest.raises(ValueError, match="unknown fetch error kind"):
            FetchError("weird", "x")
