"""Fetcher against a real HTTP server on loopback: what it refuses or gives up on. Bodies over
the cap (streamed, declared, or a gzip bomb), error statuses and Retry-After, bad redirects,
timeouts, refused connections, unusable URLs, credentials kept out of messages and other
origins, and bodies of an unwanted media type."""

from __future__ import annotations

import asyncio
import socket
import zlib
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from monitor.feeds.errors import FetchError
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.request_options import RequestOptions
from tests.support.feedserver import FeedServer, Reply
from tests.support.fetching import RSS

MIB = 1024 * 1024


async def fetch_error(
    fetcher: Fetcher, url: str, *, max_body_bytes: int | None = None
) -> FetchError:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(url, max_body_bytes=max_body_bytes)
    return info.value


def zeros(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    block = bytes(chunk)
    for _ in range(total // chunk):
        yield block


def gzip_bomb(decoded_size: int) -> bytes:
    """A gzip stream of ``decoded_size`` zero bytes, compressed about a thousandfold."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [compressor.compress(block) for block in zeros(decoded_size, MIB)]
    return b"".join([*parts, compressor.flush()])


class TestSizeLimits:
    async def test_streamed_body_over_cap_is_abandoned(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """A 50 MB body without Content-Length stops at the 15 MiB cap; the server is freed."""
        produced: list[int] = []

        def fifty_megabytes() -> Iterator[bytes]:
            for block in zeros(50 * 1000 * 1000):
                produced.append(len(block))
                yield block

        server.add_stream("/huge", fifty_megabytes, {"Content-Type": "application/rss+xml"})
        error = await fetch_error(fetcher, server.url("/huge"))
        assert error.kind == "too_large"
        # Off the event loop: the client closes its socket on the loop.
        assert await asyncio.to_thread(server.wait_handled, 1), "the handler is still writing"
        assert sum(produced) < 50 * 1000 * 1000

    async def test_gzip_bomb_is_stopped_by_decoded_size(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """~100 KB of gzip inflating to 100 MiB is rejected: the cap counts decoded bytes."""
        bomb = gzip_bomb(100 * MIB)
        assert len(bomb) < 200_000
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        server.add_route("/bomb", lambda _request: Reply(200, headers, bomb))
        error = await fetch_error(fetcher, server.url("/bomb"))
        assert error.kind == "too_large"

    async def test_declared_length_over_cap_is_rejected_before_reading(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """A Content-Length above the cap fails at once; the body (which never comes) is unread."""

        def never_sent() -> Iterator[bytes]:
            server.release.wait()  # reading this body would hang until the test ends
            yield b""

        headers = {"Content-Type": "application/rss+xml", "Content-Length": str(64 * MIB)}
        server.add_route("/declared", lambda _request: Reply(200, headers, never_sent()))
        error = await fetch_error(fetcher, server.url("/declared"))
        assert error.kind == "too_large"

    async def test_per_call_cap_overrides_the_default(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """max_body_bytes given to fetch() applies to that call only."""
        server.add_feed("/feed.xml", RSS)
        error = await fetch_error(fetcher, server.url("/feed.xml"), max_body_bytes=len(RSS) - 1)
        assert error.kind == "too_large"
        assert (await fetcher.fetch(server.url("/feed.xml"))).body == RSS


class TestFailures:
    @pytest.mark.parametrize("status", [400, 403, 404, 410, 500, 502])
    async def test_error_status_raises_http_status(
        self, server: FeedServer, fetcher: Fetcher, status: int
    ) -> None:
        """Non-2xx answers (other than 304 and redirects) become http_status errors."""
        server.add_status("/feed.xml", status, body=b"nope")
        error = await fetch_error(fetcher, server.url("/feed.xml"))
        assert (error.kind, error.status, error.retry_after) == ("http_status", status, None)

    @pytest.mark.parametrize("status", [429, 503])
    async def test_retry_after_is_kept_for_throttling_statuses(
        self, server: FeedServer, fetcher: Fetcher, status: int
    ) -> None:
        """429 and 503 carry the server's Retry-After (in seconds) on the error."""
        server.add_status("/feed.xml", status, headers={"Retry-After": "120"})
        error = await fetch_error(fetcher, server.url("/feed.xml"))
        assert (error.kind, error.status, error.retry_after) == ("http_status", status, 120.0)

    @pytest.mark.parametrize(
        ("routes", "start"),
        [
            ({"/a": "/b", "/b": "/a"}, "/a"),
            ({"/self": "/self"}, "/self"),
            ({f"/r{i}": f"/r{i + 1}" for i in range(7)}, "/r0"),
            ({"/ftp": "ftp://127.0.0.1/feed.xml"}, "/ftp"),
            ({"/js": "javascript:alert(1)"}, "/js"),
            ({"/file": "file:///etc/passwd"}, "/file"),
        ],
        ids=["loop", "self-loop", "too-many", "to-ftp", "to-javascript", "to-file"],
    )
    async def test_bad_redirects_raise_redirect(
        self, server: FeedServer, fetcher: Fetcher, routes: dict[str, str], start: str
    ) -> None:
        """Loops, chains over max_redirects and non-http(s) targets fail with kind redirect."""
        for path, location in routes.items():
            server.add_redirect(path, location)
        server.add_feed("/r7", RSS)
        error = await fetch_error(fetcher, server.url(start))
        assert error.kind == "redirect"

    async def test_server_that_never_answers_times_out(self, server: FeedServer) -> None:
        """No response headers within read_timeout gives kind timeout."""
        server.add_stall("/hang")
        async with Fetcher(read_timeout=0.2) as fetcher:
            error = await fetch_error(fetcher, server.url("/hang"))
        assert error.kind == "timeout"

    async def test_total_deadline_bounds_a_slow_body(self, server: FeedServer) -> None:
        """A body that never finishes hits total_timeout even when read_timeout is generous."""
        server.add_stall("/trickle", send_headers=True)
        async with Fetcher(read_timeout=60, total_timeout=0.3) as fetcher:
            error = await fetch_error(fetcher, server.url("/trickle"))
        assert error.kind == "timeout"

    async def test_a_connection_never_accepted_hits_connect_timeout(self) -> None:
        """A host whose accept queue is full drops our SYN: connect_timeout ends the wait,
        long before the generous read and total time-outs."""
        with socket.socket() as listener, ExitStack() as fillers:
            listener.bind(("127.0.0.1", 0))
            listener.listen(0)  # never accepted: the queue fills with the first connections
            address = listener.getsockname()
            for _ in range(3):
                filler = fillers.enter_context(socket.socket())
                filler.setblocking(False)
                filler.connect_ex(address)
            async with Fetcher(connect_timeout=0.2, read_timeout=60, total_timeout=60) as f:
                error = await fetch_error(f, f"http://127.0.0.1:{address[1]}/feed.xml")
        assert error.kind == "timeout"
        assert "ConnectTimeout" in str(error)

    async def test_refused_connection_raises_connect(self, fetcher: Fetcher) -> None:
        """A port with nothing listening fails with kind connect."""
        with socket.socket() as bound_not_listening:
            bound_not_listening.bind(("127.0.0.1", 0))
            port = bound_not_listening.getsockname()[1]
            error = await fetch_error(fetcher, f"http://127.0.0.1:{port}/feed.xml")
        assert error.kind == "connect"

    @pytest.mark.parametrize(
        "url", ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd", "not a url", "http://[::1"]
    )
    async def test_unusable_feed_urls_raise_protocol(self, fetcher: Fetcher, url: str) -> None:
        """Only http(s) URLs are ever requested."""
        assert (await fetch_error(fetcher, url)).kind == "protocol"

    async def test_credentials_in_url_never_reach_the_message(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """Userinfo in a feed URL is used for the request but kept out of error text."""
        url = server.url("/private.xml").replace("http://", "http://reader:hunter2@")
        error = await fetch_error(fetcher, url)
        assert error.status == 404
        assert "hunter2" not in str(error)
        assert "hunter2" not in repr(error)
        assert server.requests[0].headers["authorization"].startswith("Basic ")

    async def test_credential_headers_stay_with_the_feeds_origin(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """A redirect to another origin carries neither ``Authorization`` nor a header
        named like a credential; other per-feed headers follow."""
        with FeedServer() as other:
            other.add_feed("/feed.xml", RSS)
            server.add_redirect("/feed.xml", other.url("/feed.xml"))
            headers = (("X-Api-Key", "k-123"), ("X-Edition", "intl"))
            options = RequestOptions(headers=headers, bearer="t-456")
            await fetcher.fetch(server.url("/feed.xml"), options=options)
            own, elsewhere = server.requests[0].headers, other.requests[0].headers
        assert (own["x-api-key"], own["authorization"], own["x-edition"]) == (
            "k-123", "Bearer t-456", "intl"
        )  # fmt: skip
        assert ("x-api-key" in elsewhere, "authorization" in elsewhere) == (False, False)
        assert elsewhere["x-edition"] == "intl"

    async def test_a_body_of_an_unwanted_media_type_is_not_read(
        self, server: FeedServer, fetcher: Fetcher
    ) -> None:
        """With ``media_types`` set, another type's answer comes back without its body:
        50 MB of PDF are neither downloaded nor an error."""
        server.add_stream("/doc.pdf", lambda: zeros(50 * MIB), {"Content-Type": "application/pdf"})
        options = RequestOptions(media_types=frozenset({"text/html"}), max_body_bytes=MIB)
        result = await fetcher.fetch(server.url("/doc.pdf"), options=options)
        assert (result.status, result.content_type, result.body) == (200, "application/pdf", b"")
