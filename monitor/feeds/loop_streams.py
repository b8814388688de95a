"""httpcore's network layer straight on asyncio's transports, without anyio in between.

httpcore talks to the network through a small documented interface
(:class:`httpcore.AsyncNetworkBackend`); under asyncio it uses anyio's streams, which
open a cancel scope, look up the running library and, on every reuse of a kept-alive
connection, ask the kernel whether the socket is readable. Over a poll cycle of
thousands of feeds most answers are a 304 of a few hundred bytes, so that bookkeeping
was a large share of the event loop's time per request (decision 0066).

Here a connection is an :class:`asyncio.Protocol` that buffers what arrives; a read takes
from the buffer or waits for the next arrival (one timer for its timeout), a write hands
the bytes to the transport and waits only while the transport asks it to (flow control).
Whether a kept-alive connection is readable is known without a system call: the event
loop has already delivered its data or its end to the protocol.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Iterable
from typing import Any, Final, cast

import httpcore
from httpcore._utils import is_socket_readable

from monitor.feeds.addresses import ip_literal

_HIGH_WATER: Final = 256 * 1024  # buffered unread bytes before reading pauses
_CONNECT_FAILURES: Final = (OSError, ssl.SSLError)
_NEXT_ADDRESS_AFTER: Final = 0.25  # seconds, as anyio (RFC 8305's recommended delay)


class _Connection(asyncio.Protocol):
    """Bytes received and not yet read, the end of the stream, and flow control."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.ended = False
        self.error: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def arrival(self, limit: float | None) -> None:
        """Wait until data or the end arrives; :class:`TimeoutError` after ``limit`` s."""
        self._waiter = asyncio.get_running_loop().create_future()
        await _within(self._waiter, limit)

    async def drain(self, limit: float | None) -> None:
        """Wait while the transport's write buffer is above its high-water mark."""
        if self._paused and not self.ended:
            self._drained = asyncio.get_running_loop().create_future()
            await _within(self._drained, limit)

    def take(self, max_bytes: int) -> bytes:
        chunk = bytes(self.buffer[:max_bytes])
        del self.buffer[:max_bytes]
        if len(self.buffer) <= _HIGH_WATER // 2 and self.transport is not None:
            self.transport.resume_reading()  # a no-op unless paused
        return chunk


async def _within(future: asyncio.Future[None], limit: float | None) -> None:
    """Await ``future``; :class:`TimeoutError` after ``limit`` seconds."""
    if limit is None:
        await future
        return
    async with asyncio.timeout(limit):
        await future


class LoopStream(httpcore.AsyncNetworkStream):
    """One connection (plain or TLS) as httpcore reads and writes it."""

    def __init__(self, transport: asyncio.Transport, connection: _Connection) -> None:
        self._transport = transport
        self._connection = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        connection = self._connection
        if not connection.buffer and not connection.ended:
            try:
                await connection.arrival(timeout)
            except TimeoutError as exc:
                raise httpcore.ReadTimeout(str(exc) or "read timed out") from exc
        if connection.buffer:
            return connection.take(max_bytes)
        if connection.error is not None:
            raise httpcore.ReadError(str(connection.error)) from connection.error
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        if self._connection.ended or self._transport.is_closing():
            raise httpcore.WriteError(str(self._connection.error or "connection closed"))
        self._transport.write(buffer)
        try:
            await self._connection.drain(timeout)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("write timed out") from exc

    async def aclose(self) -> None:
        # As anyio does: unsent bytes are dropped, and one turn of the loop lets the
        # transport close its socket before the caller goes on (or the loop ends).
        self._transport.abort()
        await asyncio.sleep(0)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            # Our own timeout, not ssl_handshake_timeout: the loop's aborts the handshake
            # with ConnectionAbortedError, which would read as a connect error, not a timeout.
            async with asyncio.timeout(timeout):
                secure = await loop.start_tls(
                    self._transport, self._connection, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except _CONNECT_FAILURES as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        transport = cast(asyncio.Transport, secure)  # as in connection_made
        self._connection.transport = transport
        return LoopStream(transport, self._connection)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # a kept-alive connection the server closed, or wrote to
            connection = self._connection
            if connection.buffer or connection.ended:
                return True
            # What the loop has not delivered yet (the server's close in this very turn).
            return is_socket_readable(self._transport.get_extra_info("socket"))
        key = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        if key in ("ssl_object", "sockname", "peername", "socket"):
            return self._transport.get_extra_info(key)
        return None


class LoopBackend(httpcore.AsyncNetworkBackend):
    """Connections made by the running asyncio loop; a name with several addresses is
    connected to as anyio does (happy eyeballs, the next address after 0.25 s)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        made = await _connected(_race(host, port, local), timeout)
        return _configured(made, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        connect = asyncio.get_running_loop().create_unix_connection(_Connection, path)
        return _configured(await _connected(connect, timeout), socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


Made = tuple[asyncio.Transport, _Connection]


async def _race(host: str, port: int, local: tuple[str, int] | None) -> Made:
    """The first connection made to one of ``host``'s addresses, each tried
    :data:`_NEXT_ADDRESS_AFTER` seconds after the one before (or at once when it failed).
    Python 3.11's own race (``happy_eyeballs_delay``) loses a connection that won while
    the race was being cancelled (a timeout); here the losers are always closed."""
    loop = asyncio.get_running_loop()
    literal = ip_literal(host)
    addresses = [str(literal)] if literal is not None else await _addresses(host, port)
    attempts: list[asyncio.Task[Made]] = []
    winner: asyncio.Task[Made] | None = None
    try:
        for address in addresses:
            attempt = loop.create_connection(_Connection, address, port, local_addr=local)
            attempts.append(loop.create_task(attempt))
            winner = await _first_made(attempts, _NEXT_ADDRESS_AFTER)
            if winner is not None:
                return winner.result()
        winner = await _first_made(attempts, None)
        if winner is not None:
            return winner.result()
        raise _last_failure(attempts, host)
    finally:
        _close_losers(attempts, winner)


async def _first_made(
    attempts: list[asyncio.Task[Made]], wait: float | None
) -> asyncio.Task[Made] | None:
    """The attempt that connected, waiting up to ``wait`` (None: until all ended) while
    the pending ones run; None when none did yet."""
    while True:
        made = [task for task in attempts if task.done() and not _failed(task)]
        pending = [task for task in attempts if not task.done()]
        if made or not pending:
            return made[0] if made else None
        done, _ = await asyncio.wait(pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        if not done or (wait is not None and all(_failed(task) for task in done)):
            return None  # the delay passed, or this one failed: start the next address


async def _addresses(host: str, port: int) -> list[str]:
    """``host``'s addresses in the resolver's order, each once."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _failed(task: asyncio.Task[Made]) -> bool:
    return task.cancelled() or task.exception() is not None


def _last_failure(attempts: list[asyncio.Task[Made]], host: str) -> BaseException:
    errors = [task.exception() for task in attempts if not task.cancelled()]
    return next((error for error in reversed(errors) if error), OSError(f"{host}: no address"))


def _close_losers(attempts: list[asyncio.Task[Made]], winner: asyncio.Task[Made] | None) -> None:
    for task in attempts:
        if not task.done():
            task.cancel()  # create_connection closes its socket when cancelled
        elif task is not winner and not _failed(task):
            task.result()[0].close()


async def _connected(connect: Awaitable[Any], limit: float | None) -> Made:
    try:
        async with asyncio.timeout(limit):
            transport, connection = await connect
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout("connect timed out") from exc
    except _CONNECT_FAILURES as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    return transport, connection


def _configured(
    made: Made,
    socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
) -> LoopStream:
    transport, connection = made
    sock = transport.get_extra_info("socket")
    for option in socket_options or ():
        sock.setsockopt(*option)
    return LoopStream(transport, connection)
