"""The fetcher's network layer on asyncio's transports, against real loopback servers."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

import httpcore
import pytest

from monitor.feeds import loop_streams
from monitor.feeds.loop_streams import LoopBackend
from tests.support.raw_http import OK, AnswerOnceThenClose, loopback_tls, read_request, serving


def pool(tls: ssl.SSLContext | None = None) -> httpcore.AsyncConnectionPool:
    return httpcore.AsyncConnectionPool(ssl_context=tls, network_backend=LoopBackend())


async def test_a_response_over_tls_is_read() -> None:
    server_tls, client_tls = loopback_tls()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()

    async with serving(answer, server_tls) as port, pool(client_tls) as http:
        response = await http.request("GET", f"https://127.0.0.1:{port}/")
    assert (response.status, response.content) == (200, b"hello")


async def test_a_kept_alive_connection_the_server_closed_is_not_reused() -> None:
    """The server answers each connection once and closes it: the second request finds
    the kept-alive connection readable (at its end) and opens a new one."""
    answer_once = AnswerOnceThenClose()
    async with serving(answer_once) as port, pool() as http:
        first = await http.request("GET", f"http://127.0.0.1:{port}/")
        await answer_once.closed.wait()
        second = await http.request("GET", f"http://127.0.0.1:{port}/")
    assert (first.content, second.content, answer_once.connections) == (b"hello", b"hello", 2)


async def test_a_large_body_arrives_whole_through_flow_control() -> None:
    """Four times the buffer's high-water mark: reading pauses and resumes."""
    body = bytes(range(256)) * (4 * 1024 * 4)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()

    async with serving(answer) as port, pool() as http:
        response = await http.request("GET", f"http://127.0.0.1:{port}/")
    assert response.content == body


async def test_a_silent_server_gives_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pass

    async with serving(silent) as port:
        stream = await LoopBackend().connect_tcp("127.0.0.1", port)
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(100, timeout=0.05)
        await stream.aclose()


async def test_a_tls_handshake_the_server_never_answers_gives_a_connect_timeout() -> None:
    """A timeout, as anyio's streams gave it (decision 0066), not a connect error: the
    fetcher reports the two as different kinds (``timeout``, ``connect``)."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pass  # reads the ClientHello (in ``serving``), never answers it

    async with serving(silent) as port:
        stream = await LoopBackend().connect_tcp("127.0.0.1", port)
        with pytest.raises(httpcore.ConnectTimeout):
            await stream.start_tls(ssl.create_default_context(), "127.0.0.1", timeout=0.05)
        await stream.aclose()


async def test_a_closed_connection_reads_empty_and_refuses_writes() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async with serving(hang_up) as port:
        stream = await LoopBackend().connect_tcp("127.0.0.1", port)
        assert await stream.read(100) == b""
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"GET / HTTP/1.1\r\n\r\n")
        await stream.aclose()


async def test_the_next_address_is_tried_when_one_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name with two addresses (the resolver is the seam): nothing listens on the
    first, so the connection goes to the second."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()

    async with serving(answer) as port, pool() as http:
        monkeypatch.setattr(loop_streams, "_addresses", _resolving_to("127.0.0.2", "127.0.0.1"))
        response = await http.request("GET", f"http://feeds.example:{port}/")
    assert response.content == b"hello"


async def test_a_name_whose_every_address_refuses_gives_a_connect_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serving(_close) as port:
        monkeypatch.setattr(loop_streams, "_addresses", _resolving_to("127.0.0.2", "127.0.0.3"))
        with pytest.raises(httpcore.ConnectError):
            await LoopBackend().connect_tcp("feeds.example", port)


def _resolving_to(*addresses: str) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(_host: str, _port: int) -> list[str]:
        return list(addresses)

    return resolve


async def _close(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
