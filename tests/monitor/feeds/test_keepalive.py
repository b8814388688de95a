"""The fetcher's keep-alive HTTP/1.1 transport, against real loopback servers."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from monitor.feeds.keepalive import KeepAliveTransport
from monitor.feeds.loop_streams import LoopBackend
from tests.support.raw_http import OK, AnswerOnceThenClose, loopback_tls, read_request, serving

NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "1"\r\n\r\n'
CLOSING = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
TIMEOUTS = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": None}


def transport(tls: ssl.SSLContext | None = None) -> KeepAliveTransport:
    return KeepAliveTransport(LoopBackend(), tls or ssl.create_default_context(),
                              keep=4, keep_seconds=30.0)  # fmt: skip


async def get(http: KeepAliveTransport, url: str, *, read: bool = True) -> tuple[int, bytes]:
    request = httpx.Request("GET", url, extensions={"timeout": TIMEOUTS})
    response = await http.handle_async_request(request)
    body = b"".join([chunk async for chunk in response.aiter_raw()]) if read else b""
    await response.aclose()
    return response.status_code, body


def answering(*answers: bytes, connections: list[int]):  # type: ignore[no-untyped-def]
    """A handler answering a connection's requests in turn with ``answers``."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections))
        for reply in answers:
            await read_request(reader)
            writer.write(reply)
            await writer.drain()

    return answer


@pytest.mark.parametrize(
    ("answers", "read_first", "expected_connections"),
    [
        ((NOT_MODIFIED, OK), True, 1),  # a 304's end read: the connection serves the next
        ((OK, OK), True, 1),
        ((CLOSING, OK), True, 2),  # the server said it closes: not kept
        ((OK, OK), False, 2),  # a body closed unread: the connection is not reused
    ],
)
async def test_connections_are_reused_only_when_both_sides_are_done(
    answers: tuple[bytes, bytes], read_first: bool, expected_connections: int
) -> None:
    connections: list[int] = []
    async with serving(answering(*answers, connections=connections)) as port:
        http = transport()
        first = await get(http, f"http://127.0.0.1:{port}/a", read=read_first)
        second = await get(http, f"http://127.0.0.1:{port}/b")
        await http.aclose()
    assert first[0] == int(answers[0].split()[1])
    assert second == (200, b"hello")
    assert len(connections) == expected_connections


async def test_a_kept_alive_connection_the_server_closed_is_not_reused() -> None:
    answer_once = AnswerOnceThenClose()
    async with serving(answer_once) as port:
        http = transport()
        first = await get(http, f"http://127.0.0.1:{port}/")
        await answer_once.closed.wait()
        second = await get(http, f"http://127.0.0.1:{port}/")
        await http.aclose()
    assert (first, second, answer_once.connections) == ((200, b"hello"), (200, b"hello"), 2)


async def test_a_server_closing_without_an_answer_is_a_protocol_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    async with serving(hang_up) as port:
        with pytest.raises(httpx.RemoteProtocolError, match="disconnected"):
            await get(transport(), f"http://127.0.0.1:{port}/")


async def test_a_malformed_answer_is_a_protocol_error() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 two hundred\r\n\r\n")
        await writer.drain()

    async with serving(garbage) as port:
        with pytest.raises(httpx.RemoteProtocolError):
            await get(transport(), f"http://127.0.0.1:{port}/")


async def test_a_silent_server_gives_httpx_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    request = httpx.Request("GET", "http://127.0.0.1/", extensions={"timeout": {"read": 0.01}})
    async with serving(silent) as port:
        request.url = request.url.copy_with(port=port)
        with pytest.raises(httpx.ReadTimeout):
            await transport().handle_async_request(request)


async def test_a_refused_connection_is_httpx_connect_error() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    with pytest.raises(httpx.ConnectError):
        await get(transport(), f"http://127.0.0.1:{port}/")


async def test_a_response_over_tls_is_read() -> None:
    server_tls, client_tls = loopback_tls()
    connections: list[int] = []
    async with serving(answering(OK, OK, connections=connections), server_tls) as port:
        http = transport(client_tls)
        answers = [await get(http, f"https://127.0.0.1:{port}/") for _ in range(2)]
        await http.aclose()
    assert answers == [(200, b"hello")] * 2
    assert len(connections) == 1


async def test_idle_connections_past_their_expiry_are_closed_by_the_next_request() -> None:
    """An origin asked once (an article's site) does not keep its connection for ever:
    once the expiry has passed, a request to any origin closes it."""
    now = [0.0]
    ended = asyncio.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        await reader.read()  # the client's close
        ended.set()

    connections: list[int] = []
    http = KeepAliveTransport(LoopBackend(), ssl.create_default_context(), keep=4,
                              keep_seconds=30.0, clock=lambda: now[0])  # fmt: skip
    async with serving(answer) as once, serving(answering(OK, connections=connections)) as other:
        assert await get(http, f"http://127.0.0.1:{once}/") == (200, b"hello")
        now[0] = 31.0
        assert await get(http, f"http://127.0.0.1:{other}/") == (200, b"hello")
        await asyncio.wait_for(ended.wait(), 10)
        await http.aclose()
    assert ended.is_set()
