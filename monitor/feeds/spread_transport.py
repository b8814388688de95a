"""Sends spread over one-connection pools, so that many in flight cost no more each.

httpcore's connection pool walks every connection it holds on each request it takes and
on each it ends, asking each idle one whether its socket expired (``getpeername`` and a
``poll`` each): with sixteen sends in flight to one receiver, every send paid for
sixteen connections twice, and concurrency made a fast receiver slower. Here each
request takes a pool of its own for as long as it is in flight, and each pool keeps one
connection: a request walks one connection however many are in flight. An idle pool
that last sent to the request's origin is taken first, so its connection is used again
(kept alive between bursts); a pool idle past httpx's keep-alive expiry is closed, as
one pool closed an idle connection before, by a background task so that the request that
notices them does not wait for their sockets. A new pool is opened when none is idle, up
to :data:`MAX_POOLS`, after which a pool idle on another origin is taken over.

:data:`MAX_POOLS` is a soft cap: with every pool in flight a request still opens a new
one (a request never waits here), so more than the cap can be open during a burst of more
sends than it; idle ones past the keep-alive are closed again.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final

import httpx
import structlog

log = structlog.get_logger("monitor.feeds.spread_transport")

MAX_POOLS: Final = 512  # soft: then idle pools of other origins are taken over (re-dialled)
KEEP_ALIVE_SECONDS: Final = 5.0  # httpx's keep-alive expiry: an idle pool is closed after it
Origin = tuple[bytes, bytes, int | None]


@dataclass(eq=False, slots=True)
class _Pool:
    transport: httpx.AsyncHTTPTransport
    idle_since: float = 0.0


class SpreadTransport(httpx.AsyncBaseTransport):
    """Each request in flight on a one-connection pool of its own, opened as needed."""

    def __init__(
        self,
        tls: ssl.SSLContext,
        max_pools: int = MAX_POOLS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tls = tls
        self._max_pools = max_pools
        self._clock = clock
        self._pools: list[_Pool] = []  # every pool open
        self._idle: dict[Origin, list[_Pool]] = {}  # by the origin each last sent to, oldest first
        self._swept = clock()
        self._closing: set[asyncio.Task[None]] = set()  # held: the loop keeps weak references

    @property
    def pools(self) -> int:
        """How many pools are open: at most the most requests in flight at once."""
        return len(self._pools)

    @property
    def closing(self) -> tuple[asyncio.Task[None], ...]:
        """The background closes of expired pools not yet finished."""
        return tuple(self._closing)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        self._close_expired()
        pool = self._take(origin)
        released = _Once(lambda: self._idle_again(origin, pool))
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            released()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)  # an async transport's
        response.stream = _Released(response.stream, released)
        return response

    async def aclose(self) -> None:
        await asyncio.gather(*self._closing)  # they never raise: _close_all logs instead
        await _close_all(self._pools)

    def _take(self, origin: Origin) -> _Pool:
        """An idle pool of ``origin``; else a new one, or at the cap one idle on another
        origin (none idle: a new one all the same, as a request never waits here)."""
        if idle := self._idle.get(origin):
            return idle.pop()
        if len(self._pools) >= self._max_pools:
            for others in self._idle.values():
                if others:
                    return others.pop()
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=1)
        self._pools.append(_Pool(httpx.AsyncHTTPTransport(verify=self._tls, limits=limits)))
        return self._pools[-1]

    def _idle_again(self, origin: Origin, pool: _Pool) -> None:
        pool.idle_since = self._clock()
        self._idle.setdefault(origin, []).append(pool)

    def _close_expired(self) -> None:
        """Close the pools idle past the keep-alive expiry (once a second at most): a pool
        not taken again would otherwise keep its connection's socket for good, where one
        shared pool closed it on its next walk. They leave the pool lists at once; their
        closes (up to every pool open) run in a task, not in the request that noticed."""
        now = self._clock()
        if now - self._swept < 1.0:
            return
        self._swept = now
        pools = (pool for idle in self._idle.values() for pool in idle)
        expired = {pool for pool in pools if pool.idle_since <= now - KEEP_ALIVE_SECONDS}
        if not expired:
            return
        for origin, idle in list(self._idle.items()):
            if kept := [pool for pool in idle if pool not in expired]:
                self._idle[origin] = kept
            else:
                del self._idle[origin]
        closing = [pool for pool in self._pools if pool in expired]  # in the order opened
        self._pools = [pool for pool in self._pools if pool not in expired]
        task = asyncio.get_running_loop().create_task(_close_all(closing))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _close_all(pools: list[_Pool]) -> None:
    """Close every pool, whatever one of them raises (a TLS close_notify to a peer that
    reset, say): one failure must not leave the other pools' sockets open."""
    for pool in pools:
        try:
            await pool.transport.aclose()
        except Exception as err:  # logged, not raised: nothing waits for a background close
            log.warning("http_pool_close_failed", error=repr(err))


class _Once:
    """Calls ``action`` the first time it is called, never again."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


class _Released(httpx.AsyncByteStream):
    """A response body whose pool is idle again once it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: _Once) -> None:
        self._stream = stream
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._release()
