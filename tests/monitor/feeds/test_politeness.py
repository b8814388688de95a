"""Politeness and per-feed request options against a real loopback server: per-host limits
and spacing, our own global bound, encodings, User-Agent, headers, auth, proxy, TLS."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest

from monitor.config.feeds import FeedAuth, FeedSettings
from monitor.feeds.errors import FetchError
from monitor.feeds.fetcher import Fetcher
from monitor.feeds.politeness import HostGate
from monitor.feeds.request_options import RequestOptions, user_agent_for
from tests.support.feedserver import FeedServer, Reply
from tests.support.inflight import InFlightCounter
from tests.support.smtp import TlsMaterial

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


class FakeClock:
    """Monotonic time that only moves when a request sleeps for its turn."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class TestHostGate:
    async def test_requests_to_one_host_are_spaced(self, server: FeedServer) -> None:
        """Three fetches at once to one host start 0.5 s apart; the first does not wait."""
        clock = FakeClock()
        gate = HostGate(concurrency=1, spacing=0.5, clock=clock, sleep=clock.sleep)
        server.add_feed("/f", RSS)
        async with Fetcher(host_gate=gate) as fetcher:
            await asyncio.gather(*(fetcher.fetch(server.url("/f")) for _ in range(3)))
        assert clock.sleeps == [0.5, 0.5]
        assert len(server.requests_to("/f")) == 3

    async def test_hosts_do_not_wait_for_each_other(self, server: FeedServer) -> None:
        """127.0.0.1 and localhost are two hosts: neither waits for the other's spacing."""
        clock = FakeClock()
        gate = HostGate(concurrency=1, spacing=5.0, clock=clock, sleep=clock.sleep)
        server.add_feed("/f", RSS)
        other = server.url("/f").replace("127.0.0.1", "localhost")
        async with Fetcher(host_gate=gate) as fetcher:
            await fetcher.fetch(server.url("/f"))
            await fetcher.fetch(other)
        assert clock.sleeps == []

    async def test_in_flight_per_host_is_bounded(self, server: FeedServer) -> None:
        """With host_concurrency 2, the third request to a host waits for a free lane,
        even though the global limit would allow fifty."""
        route = InFlightCounter(RSS, hold_until=2)
        for index in range(6):
            server.add_route(f"/{index}", route)
        host_gate = HostGate(concurrency=2, spacing=0.0)
        async with Fetcher(concurrency=50, host_gate=host_gate) as fetcher:
            tasks = [asyncio.create_task(fetcher.fetch(server.url(f"/{i}"))) for i in range(6)]
            assert await asyncio.to_thread(route.wait_until_held)
            route.release()
            await asyncio.gather(*tasks)
        assert route.peak == 2

    async def test_global_bound_is_our_semaphore_not_pool_timeouts(
        self, server: FeedServer
    ) -> None:
        """60 fetches through concurrency 3 all succeed: they queue on our semaphore, and
        the connection pool (unlimited, no pool time-out) never refuses one."""
        lock = threading.Lock()
        in_flight, peak = 0, 0

        def route(_request: object) -> Reply:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            with lock:
                in_flight -= 1
            return Reply(200, {"Content-Type": "application/rss+xml"}, RSS)

        server.add_route("/f", route)
        gate = HostGate(concurrency=100, spacing=0.0)
        async with Fetcher(concurrency=3, host_gate=gate) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(server.url("/f")) for _ in range(60)))
        assert peak <= 3
        assert len(results) == 60


class TestEncodingsAndIdentity:
    async def test_brotli_bodies_are_decoded(self, server: FeedServer) -> None:
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "br"}
        server.add_route("/f", lambda _r: Reply(200, headers, brotli.compress(RSS)))
        async with Fetcher() as fetcher:
            result = await fetcher.fetch(server.url("/f"))
        assert result.body == RSS
        assert server.requests[0].headers["accept-encoding"] == "gzip, deflate, br"

    def test_user_agent_names_the_version_and_the_contact_url(self) -> None:
        agent = user_agent_for("https://desk.example/contact")
        assert agent.startswith("wirewatch/")
        assert agent.endswith("(+https://desk.example/contact)")
        assert user_agent_for("https://x.example", "custom/1.0") == "custom/1.0"


def feed_options(**settings: object) -> RequestOptions:
    return RequestOptions.for_feed(FeedSettings.model_validate({"url": "http://x/f", **settings}))


class TestPerFeedOptions:
    async def test_custom_headers_are_sent(self, server: FeedServer) -> None:
        server.add_feed("/f", RSS)
        options = feed_options(headers={"X-Api-Key": "k-1", "Accept-Language": "fr"})
        async with Fetcher() as fetcher:
            await fetcher.fetch(server.url("/f"), options=options)
        sent = server.requests[0].headers
        assert (sent["x-api-key"], sent["accept-language"]) == ("k-1", "fr")

    async def test_basic_auth_from_the_environment(
        self, server: FeedServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("WW_TEST_FEED_PASSWORD", "s3cret")
        server.add_feed("/f", RSS)
        auth = {"type": "basic", "username": "reader", "password_env": "WW_TEST_FEED_PASSWORD"}
        async with Fetcher() as fetcher:
            await fetcher.fetch(server.url("/f"), options=feed_options(auth=auth))
        expected = "Basic " + base64.b64encode(b"reader:s3cret").decode()
        assert server.requests[0].headers["authorization"] == expected

    async def test_bearer_token_goes_to_the_feed_origin_only(
        self, server: FeedServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A redirect to another origin (localhost vs 127.0.0.1) drops the credentials."""
        monkeypatch.setenv("WW_TEST_FEED_TOKEN", "tok-9")
        elsewhere = server.url("/there").replace("127.0.0.1", "localhost")
        server.add_redirect("/here", elsewhere, status=302)
        server.add_feed("/there", RSS)
        options = feed_options(auth={"type": "bearer", "token_env": "WW_TEST_FEED_TOKEN"})
        async with Fetcher() as fetcher:
            await fetcher.fetch(server.url("/here"), options=options)
        first, second = server.requests
        assert first.headers["authorization"] == "Bearer tok-9"
        assert "authorization" not in second.headers
        assert "tok-9" not in repr(options)

    async def test_proxy_receives_the_request(self, server: FeedServer) -> None:
        """An http proxy is sent the absolute URL; the feed's host is never contacted."""
        target = "http://feeds.example.invalid/world.xml"
        server.add_route(target, lambda _r: Reply(200, {"Content-Type": "text/xml"}, RSS))
        async with Fetcher() as fetcher:
            result = await fetcher.fetch(target, options=feed_options(proxy=server.url()))
        assert result.body == RSS
        assert server.requests[0].path == target

    async def test_tls_verification_can_be_switched_off_per_feed(self, tmp_path: Path) -> None:
        tls = TlsMaterial.create(tmp_path)
        with FeedServer(tls=tls.server_context) as https:
            https.add_feed("/f", RSS)
            async with Fetcher() as fetcher:
                with pytest.raises(FetchError) as refused:
                    await fetcher.fetch(https.url("/f"))
                accepted = await fetcher.fetch(
                    https.url("/f"), options=feed_options(verify_tls=False)
                )
        assert refused.value.kind in {"connect", "protocol"}
        assert accepted.body == RSS


class TestFeedSettings:
    def test_missing_secret_variable_is_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("WW_NOT_SET", raising=False)
        with pytest.raises(ValueError, match="WW_NOT_SET is not set"):
            FeedAuth.model_validate({"type": "bearer", "token_env": "WW_NOT_SET"})

    def test_secret_never_appears_in_repr_or_dump(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WW_TEST_PW", "hunter2")
        feed = FeedSettings.model_validate(
            {
                "url": "http://x/f",
                "auth": {"type": "basic", "username": "u", "password_env": "WW_TEST_PW"},
            }
        )
        assert feed.auth is not None and feed.auth.secret.get_secret_value() == "hunter2"
        assert "hunter2" not in repr(feed)
        assert "hunter2" not in feed.model_dump_json()

    @pytest.mark.parametrize(
        ("settings", "message"),
        [
            ({"auth": {"type": "basic", "password_env": "HOME"}}, "username"),
            ({"auth": {"type": "bearer"}}, "token_env"),
            ({"auth": {"type": "bearer", "token_env": "A-B"}}, "environment variable name"),
            ({"auth": {"type": "basic", "username": "u", "password": "inline"}}, "password"),
            ({"headers": {"Authorization": "x"}}, "may not be set"),
            ({"headers": {"If-None-Match": "x"}}, "may not be set"),
            ({"headers": {"Bad Name": "x"}}, "may not be set"),
            ({"headers": {"X-Ok": "a\r\nInjected: 1"}}, "line break"),
            ({"proxy": "ftp://p.example"}, "proxy"),
            ({"proxy": "socks5://p.example:1080"}, "proxy"),
        ],
    )
    def test_unsafe_feed_options_are_rejected(
        self, settings: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            FeedSettings.model_validate({"url": "http://x/f", **settings})
