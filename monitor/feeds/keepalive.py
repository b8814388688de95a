"""HTTP/1.1 over kept-alive connections, for the fetcher's requests that use no proxy.

httpx's transport puts httpcore's connection pool between a request and h11: a pool
request and its event, a scan of the pool's connections, anyio locks that each yield a
turn of the event loop, cancellation shields that look up the running async library,
and three stream wrappers around the body. For a poll cycle's 304s of a few hundred
bytes that was a third of the event loop's time per request (decision 0072). Here a
request takes an idle connection of its origin (or makes one through the fetcher's
network backend, so the address checks of :mod:`monitor.feeds.addresses` still apply),
h11 writes and reads it as httpcore would (the same event size limit, a 304's end read,
keep-alive when both sides are done), and the connection goes back when the response is
closed. Failures are httpx's exceptions, named as httpcore's would have been mapped.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

import h11
import httpcore
import httpx

_MAX_EVENT_BYTES: Final = 100 * 1024  # an incomplete head, as httpcore allows
_READ_BYTES: Final = 64 * 1024
_Origin = tuple[bytes, bytes, int]
_STREAM_FAILURES: Final = (httpcore.NetworkError, httpcore.TimeoutException)


def _as_httpx(exc: Exception) -> httpx.TransportError:
    """httpcore's failure as httpx maps it (the classes share their names)."""
    kind = getattr(httpx, type(exc).__name__, None)
    error = kind if isinstance(kind, type) and issubclass(kind, httpx.TransportError) else None
    return (error or httpx.TransportError)(str(exc))


class _Connection:
    """One connection and its HTTP/1.1 state."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self.stream = stream
        self.state = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_EVENT_BYTES)
        self.idle_until = 0.0

    def reusable(self, now: float) -> bool:
        """Kept alive, not past its expiry, and not closed (or written to) by the server."""
        return now < self.idle_until and not self.stream.get_extra_info("is_readable")

    async def send(self, request: httpx.Request, timeouts: dict[str, float | None]) -> h11.Response:
        head = h11.Request(method=request.method, target=request.url.raw_path,
                           headers=request.headers.raw)  # fmt: skip
        try:
            data = self.state.send(head) + (self.state.send(h11.EndOfMessage()) or b"")
            await self.stream.write(data, timeout=timeouts.get("write"))
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        except httpcore.WriteError:
            pass  # as httpcore: the server may have answered (an error) before closing
        except httpcore.TimeoutException as exc:
            raise _as_httpx(exc) from exc
        while True:
            event = await self.next_event(timeouts.get("read"))
            if isinstance(event, h11.Response):
                return event

    async def next_event(self, limit: float | None) -> h11.Event | type[h11.PAUSED]:
        while True:
            try:
                event = self.state.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]  # mypy does not narrow a sentinel
            try:
                data = await self.stream.read(_READ_BYTES, timeout=limit)
            except _STREAM_FAILURES as exc:
                raise _as_httpx(exc) from exc
            if data == b"" and self.state.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            self.state.receive_data(data)

    def finished(self) -> bool:
        """Both sides done: ready for the next request (the state is reset)."""
        if self.state.our_state is h11.DONE and self.state.their_state is h11.DONE:
            self.state.start_next_cycle()
            return True
        return False


class _Body(httpx.AsyncByteStream):
    """A response's body, read from its connection; closing hands the connection back."""

    def __init__(self, pool: KeepAliveTransport, origin: _Origin, connection: _Connection,
                 timeout: float | None) -> None:  # fmt: skip
        self._pool, self._origin, self._connection = pool, origin, connection
        self._timeout = timeout
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            event = await self._connection.next_event(self._timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage) or event is h11.PAUSED:
                return

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._pool.release(self._origin, self._connection)


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """Requests over ``backend``'s connections (TLS with ``tls``), up to ``keep`` idle
    connections per origin kept for ``keep_seconds`` of ``clock``."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, tls: ssl.SSLContext, *,
                 keep: int, keep_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._clock = clock
        self._backend = backend
        self._tls = tls
        self._keep = keep
        self._keep_seconds = keep_seconds
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._next_sweep = 0.0  # when idle connections past their expiry are next let go

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{url}'.")
        timeouts = request.extensions.get("timeout", {})
        origin = (url.raw_scheme, url.raw_host, url.port or (443 if url.scheme == "https" else 80))
        connection = await self._connection(origin, timeouts.get("connect"))
        try:
            head = await connection.send(request, timeouts)
        except BaseException:
            await connection.stream.aclose()
            raise
        return httpx.Response(
            status_code=head.status_code,
            headers=head.headers.raw_items(),
            stream=_Body(self, origin, connection, timeouts.get("read")),
            extensions={"http_version": b"HTTP/" + head.http_version,
                        "reason_phrase": head.reason, "network_stream": connection.stream},
        )  # fmt: skip

    async def _connection(self, origin: _Origin, limit: float | None) -> _Connection:
        now = self._clock()
        if now >= self._next_sweep:
            await self._sweep(now)
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.reusable(now):
                return connection
            await connection.stream.aclose()
        return _Connection(await self._connect(origin, limit))

    async def _sweep(self, now: float) -> None:
        """Idle connections past their expiry closed and forgotten, at most once per
        expiry period: origins asked once (an article's site) are not held for ever."""
        self._next_sweep = now + self._keep_seconds
        stale: list[_Connection] = []
        for origin, kept in list(self._idle.items()):
            stale += [connection for connection in kept if connection.idle_until <= now]
            kept[:] = [connection for connection in kept if connection.idle_until > now]
            if not kept:
                del self._idle[origin]
        for connection in stale:
            await connection.stream.aclose()

    async def _connect(self, origin: _Origin, limit: float | None) -> httpcore.AsyncNetworkStream:
        scheme, host, port = origin
        name = host.decode("ascii")
        try:
            stream = await self._backend.connect_tcp(name, port, timeout=limit)
            if scheme == b"https":
                self._tls.set_alpn_protocols(["http/1.1"])
                stream = await stream.start_tls(self._tls, server_hostname=name, timeout=limit)
        except _STREAM_FAILURES as exc:
            raise _as_httpx(exc) from exc
        return stream

    async def release(self, origin: _Origin, connection: _Connection) -> None:
        """Keep ``connection`` for its origin's next request, or close it."""
        idle = self._idle.setdefault(origin, [])
        if connection.finished() and len(idle) < self._keep:
            connection.idle_until = self._clock() + self._keep_seconds
            idle.append(connection)
        else:
            await connection.stream.aclose()

    async def aclose(self) -> None:
        idle = [connection for kept in self._idle.values() for connection in kept]
        self._idle.clear()
        for connection in idle:
            await connection.stream.aclose()
