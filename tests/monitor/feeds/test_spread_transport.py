"""Sends spread over one-connection pools: many in flight, each walking one connection."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from monitor.config import DaemonSettings
from monitor.feeds.request_options import http_client
from monitor.feeds.spread_transport import KEEP_ALIVE_SECONDS, SpreadTransport
from tests.support.receiver import HttpReceiver, Response

BURST = 10  # held at once


def _still() -> float:
    """A clock that never moves: no pool ever idles past its keep-alive."""
    return 0.0


async def _burst(http: httpx.AsyncClient, receiver: HttpReceiver, seen: int) -> list[int]:
    """BURST posts held by the receiver until all arrived, then answered; their statuses."""
    gate = threading.Event()
    receiver.default = Response(gate=gate)
    posts = [asyncio.create_task(http.post(receiver.url(), content=b"{}")) for _ in range(BURST)]
    try:
        await asyncio.to_thread(receiver.wait_for, seen + BURST)
    finally:
        gate.set()
        answers = await asyncio.gather(*posts)
    return [answer.status_code for answer in answers]


async def test_a_burst_takes_a_pool_each_and_the_next_burst_takes_them_again() -> None:
    """Ten sends in flight open ten pools; a second burst after the first one's bodies
    were read finds them idle and opens none (a pool never given back would open more)."""
    spread = SpreadTransport(httpx.create_ssl_context(), clock=_still)
    with HttpReceiver() as receiver:
        async with httpx.AsyncClient(transport=spread) as http:
            assert await _burst(http, receiver, 0) == [200] * BURST
            assert spread.pools == BURST
            assert await _burst(http, receiver, BURST) == [200] * BURST
            assert spread.pools == BURST


async def test_a_failed_send_gives_its_pool_back() -> None:
    """Sends that fail to connect, one after another, use the one pool."""
    with HttpReceiver() as receiver:
        url = receiver.url()
    spread = SpreadTransport(httpx.create_ssl_context(), clock=_still)
    async with httpx.AsyncClient(transport=spread) as http:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await http.post(url, content=b"{}")
    assert spread.pools == 1


async def test_another_origin_opens_its_own_pool_until_the_cap() -> None:
    """One send at a time to two receivers: each origin keeps a pool (and its connection)
    of its own; with a cap of one pool, the second origin takes the idle one over."""
    with HttpReceiver() as first, HttpReceiver() as second:
        for cap, pools in [(8, 2), (1, 1)]:
            spread = SpreadTransport(httpx.create_ssl_context(), max_pools=cap, clock=_still)
            async with httpx.AsyncClient(transport=spread) as http:
                for url in [first.url(), second.url(), first.url(), second.url()]:
                    assert (await http.post(url, content=b"{}")).status_code == 200
            assert spread.pools == pools


def _watched(spread: SpreadTransport) -> list[httpx.AsyncHTTPTransport]:
    """The pools' transports open now; each one's close is recorded in ``closed``."""
    transports = [pool.transport for pool in spread._pools]
    for transport in transports:
        transport.closed = False  # type: ignore[attr-defined]
        close = transport.aclose

        async def recorded(transport: Any = transport, close: Any = close) -> None:
            await close()
            transport.closed = True

        transport.aclose = recorded  # type: ignore[method-assign]
    return transports


def _closed(transports: list[httpx.AsyncHTTPTransport]) -> list[bool]:
    return [transport.closed for transport in transports]  # type: ignore[attr-defined]


@dataclass
class _IdleBurst:
    spread: SpreadTransport
    http: httpx.AsyncClient
    receiver: HttpReceiver
    burst: list[httpx.AsyncHTTPTransport]  # the burst's pools, their closes watched


@asynccontextmanager
async def _idle_burst() -> AsyncIterator[_IdleBurst]:
    """A burst of BURST sends answered, then the transport's clock past the keep-alive:
    every pool has idled too long, and the next send sweeps them."""
    now = [0.0]
    spread = SpreadTransport(httpx.create_ssl_context(), clock=lambda: now[0])
    with HttpReceiver() as receiver:
        async with httpx.AsyncClient(transport=spread) as http:
            await _burst(http, receiver, 0)
            idle = _IdleBurst(spread, http, receiver, _watched(spread))
            now[0] = KEEP_ALIVE_SECONDS + 1
            yield idle


async def test_pools_idle_past_the_keep_alive_are_closed_in_the_background() -> None:
    """After a burst of ten, a send six seconds later finds every idle pool expired: they
    leave the transport at once, the send opens one pool, and one background task closes
    the ten (their sockets with them)."""
    async with _idle_burst() as idle:
        assert (await idle.http.post(idle.receiver.url(), content=b"{}")).status_code == 200
        assert idle.spread.pools == 1
        closing = idle.spread.closing
        assert len(closing) <= 1  # one task for the whole sweep, done or not
        await asyncio.gather(*closing)
        assert _closed(idle.burst) == [True] * BURST
        assert idle.spread.closing == ()


async def test_closing_the_transport_finishes_the_background_closes() -> None:
    """Pools swept but not yet closed are closed by the transport's own close."""
    async with _idle_burst() as idle:
        await idle.http.post(idle.receiver.url(), content=b"{}")
        closing = idle.spread.closing
    assert all(task.done() for task in closing)
    assert _closed(idle.burst) == [True] * BURST


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
async def test_the_shared_client_still_sends_through_the_environments_proxy(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """The spread pools take no URL the environment sends through a proxy: the proxy
    (here a loopback receiver) gets the request, in the absolute form a proxy is sent."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with HttpReceiver() as proxy:
        monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        async with http_client(DaemonSettings()) as http:
            answer = await http.post("http://alerts.example/hook", content=b"{}")
        (request,) = proxy.wait_for(1)
    assert answer.status_code == 200
    assert request.path == "http://alerts.example/hook"


def _failing_close(transport: httpx.AsyncHTTPTransport) -> None:
    """``transport``'s close raises, as a TLS close to a peer that reset may."""

    async def fails() -> None:
        raise httpx.ReadError("connection reset by peer")

    transport.aclose = fails  # type: ignore[method-assign]


async def test_a_pool_whose_close_fails_leaves_no_other_pool_open() -> None:
    """One pool's close raising neither stops the background sweep closing the others nor
    the transport's own close: every other socket is closed, the failure is logged, and
    no exception is left in the sweep's task or raised by the client's close."""
    with capture_logs() as logs:
        async with _idle_burst() as idle:
            _failing_close(idle.burst[0])
            http, receiver = idle.http, idle.receiver
            assert (await http.post(receiver.url(), content=b"{}")).status_code == 200
            sweeps = idle.spread.closing  # the sweep of the ten: done already, or not yet
            if sweeps:
                await asyncio.wait(sweeps)
            assert [sweep.exception() for sweep in sweeps] == [None] * len(sweeps)
            assert _closed(idle.burst) == [False] + [True] * (BURST - 1)
            await _burst(http, receiver, BURST + 1)  # the swept-in pool and nine new ones
            still_open = _watched(idle.spread)
            _failing_close(still_open[0])
        assert _closed(still_open) == [False] + [True] * (BURST - 1)
    failures = [entry for entry in logs if entry["event"] == "http_pool_close_failed"]
    assert [entry["error"] for entry in failures] == ["ReadError('connection reset by peer')"] * 2
