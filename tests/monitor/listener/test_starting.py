"""The responder that answers on the listener's socket while the daemon starts: fixed
answers for the public probes, 503 "starting" for the routes with their own check, 401
without the token and 503 "starting" for the rest, hostile, slow and surplus connections
refused, and the very socket taken over by the full listener."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest

from monitor.listener import (
    PUBLIC_PREFIXES,
    Answer,
    HttpListener,
    Request,
    Response,
    StartingResponder,
)
from monitor.listener.starting import MAX_HEAD_BYTES, bearer_matches, bind, bind_early

TOKEN = "s3cret-Token_value~1"
ANSWERS = {"/healthz": Answer(200, b"ok\n"), "/readyz": Answer(503, b"{}\n", "application/json")}


@pytest.fixture(name="responder")
def _responder() -> Iterator[StartingResponder]:
    responder = bind_early("127.0.0.1", 0, ANSWERS, token=TOKEN, public_prefixes=PUBLIC_PREFIXES)
    assert responder is not None
    yield responder
    responder.close()


def _url(responder: StartingResponder, path: str) -> str:
    return f"http://127.0.0.1:{responder.port}{path}"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "body"),
    [
        ("GET", "/healthz", {}, 200, b"ok\n"),
        ("GET", "/healthz?verbose=1", {}, 200, b"ok\n"),
        ("HEAD", "/healthz", {}, 200, b""),
        ("GET", "/readyz", {}, 503, b"{}\n"),
        ("POST", "/healthz", {}, 405, b""),
        ("GET", "/metrics", {}, 401, b"unauthorized"),
        ("GET", "/status", {"Authorization": "Bearer wrong"}, 401, b"unauthorized"),
        ("GET", "/status", {"Authorization": f"Bearer {TOKEN}"}, 503, b"starting\n"),
        ("POST", "/-/reload", {"Authorization": f"bearer {TOKEN}"}, 503, b"starting\n"),
        # their own check once the daemon is up: not the listener's token
        ("GET", "/api/v1/stories", {"Authorization": "Bearer an-api-token"}, 503, b"starting\n"),
        ("DELETE", "/api/v1/silences/3", {}, 503, b"starting\n"),
        ("GET", "/feedback/12?sig=abc", {}, 503, b"starting\n"),
        ("POST", "/websub/cb-1", {}, 503, b"starting\n"),
        ("GET", "/apiv1", {}, 401, b"unauthorized"),  # a prefix, not a substring
    ],
)
def test_answers_probes_and_asks_everything_else_to_come_back(
    responder: StartingResponder,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    body: bytes,
) -> None:
    response = httpx.request(method, _url(responder, path), headers=headers)
    assert (response.status_code, response.content) == (status, body)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    if status == 503:
        assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, 'Bearer realm="wirewatch"'),
        ({"Authorization": "Bearer wrong"}, 'Bearer realm="wirewatch", error="invalid_token"'),
    ],
)
async def test_the_401_challenge_is_the_full_listeners(
    responder: StartingResponder, headers: dict[str, str], challenge: str
) -> None:
    early = await asyncio.to_thread(httpx.get, _url(responder, "/status"), headers=headers)
    listener = HttpListener("127.0.0.1", 0, token=TOKEN, starting=responder)
    listener.route("GET", "/status", _served)
    await listener.start()
    try:
        async with httpx.AsyncClient() as client:
            full = await client.get(f"{listener.url}/status", headers=headers)
    finally:
        await listener.stop()
    assert early.headers["www-authenticate"] == full.headers["www-authenticate"] == challenge


@pytest.mark.parametrize(
    ("authorization", "token", "matches"),
    [
        (f"Bearer {TOKEN}", TOKEN, True),
        (f"bearer {TOKEN}", TOKEN, True),  # the scheme is case-insensitive (RFC 7235)
        (f"Bearer   {TOKEN}  ", TOKEN, True),
        (f"Bearer {TOKEN[:-1]}", TOKEN, False),
        (f"Bearer {TOKEN}x", TOKEN, False),
        (f"Basic {TOKEN}", TOKEN, False),
        (TOKEN, TOKEN, False),
        ("", TOKEN, False),
        ("Bearer s3cret-Token_value~\u0661", TOKEN, False),  # beyond latin-1: no match, no error
        ("", None, True),  # no token set: every request passes
        ("Bearer anything", None, True),
    ],
)
def test_one_bearer_check_serves_both_listeners(
    authorization: str, token: str | None, matches: bool
) -> None:
    assert bearer_matches(authorization, token.encode() if token else None) is matches


def test_without_a_token_every_other_route_says_starting() -> None:
    responder = bind_early("127.0.0.1", 0, ANSWERS)
    assert responder is not None
    try:
        response = httpx.get(_url(responder, "/status"))
        assert (response.status_code, response.text) == (503, "starting\n")
    finally:
        responder.close()


def _raw(responder: StartingResponder, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", responder.port)) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := conn.recv(4096):
            received += chunk
    return received


@pytest.mark.parametrize(
    ("request_bytes", "status_line"),
    [
        (b"GARBAGE\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /healthz SPDY/9\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n", b"HTTP/1.1 400 "),
        (b"GET /healthz HTTP/1.1\r\nX: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n", b"HTTP/1.1 431 "),
        (b"GET /healthz HTTP/1.1\r\n", b"HTTP/1.1 400 "),  # the client gave up mid-head
        (b"GET /healthz HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n", b"HTTP/1.1 200 "),
    ],
)
def test_hostile_requests_get_an_error_and_the_responder_keeps_answering(
    responder: StartingResponder, request_bytes: bytes, status_line: bytes
) -> None:
    assert _raw(responder, request_bytes).startswith(status_line)
    assert httpx.get(_url(responder, "/healthz")).status_code == 200


async def _served(request: Request) -> Response:
    return Response(200, b"served " + request.path.encode())


async def test_the_full_listener_takes_the_same_socket_over(responder: StartingResponder) -> None:
    port = responder.port
    listener = HttpListener("127.0.0.1", 0, token=TOKEN, starting=responder)
    listener.route("GET", "/healthz", _served, public=True)
    listener.route("GET", "/status", _served)
    await listener.start()
    try:
        assert listener.port == port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/healthz")).text == "served /healthz"
            assert (await client.get("/status")).status_code == 401  # the listener's token
            authorised = {"Authorization": f"Bearer {TOKEN}"}
            assert (await client.get("/status", headers=authorised)).text == "served /status"
    finally:
        await listener.stop()


async def test_a_listener_stopped_before_serving_closes_the_responders_socket(
    responder: StartingResponder,
) -> None:
    port = responder.port
    listener = HttpListener("127.0.0.1", 0, starting=responder)
    await listener.stop()
    bind("127.0.0.1", port).close()  # free again: nothing holds it


async def test_connections_queued_during_the_hand_over_get_the_full_listeners_answer(
    responder: StartingResponder,
) -> None:
    await asyncio.to_thread(responder.hand_over)  # no longer accepting: the backlog holds
    reader, writer = await asyncio.open_connection("127.0.0.1", responder.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    listener = HttpListener("127.0.0.1", 0, starting=responder)
    listener.route("GET", "/healthz", _served, public=True)
    await listener.start()
    try:
        answer = await reader.read()
    finally:
        writer.close()
        await listener.stop()
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"served /healthz" in answer  # chunked: uvicorn sets no length


def _held(port: int) -> socket.socket:
    """A connection that has sent half a head: its answer is still being read."""
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"GET /healthz HTTP/1.1\r\n")
    return conn


def _rest(conn: socket.socket) -> bytes:
    received = b""
    while chunk := conn.recv(4096):
        received += chunk
    return received


def test_connections_beyond_the_cap_are_closed_unanswered() -> None:
    sock = bind("127.0.0.1", 0)
    responder = StartingResponder(sock, ANSWERS, max_connections=1, read_seconds=3600)
    responder.start()
    try:
        with (
            _held(responder.port) as first,
            socket.create_connection(("127.0.0.1", responder.port)) as second,
        ):
            assert _rest(second) == b""  # closed unanswered: the one slot is taken
            first.sendall(b"\r\n")
            assert _rest(first).startswith(b"HTTP/1.1 200 ")  # the first was answered
    finally:
        responder.close()


def test_a_client_too_slow_to_send_its_head_is_closed_unanswered() -> None:
    sock = bind("127.0.0.1", 0)
    responder = StartingResponder(sock, ANSWERS, read_seconds=0.01)
    responder.start()
    try:
        with _held(responder.port) as slow:
            assert _rest(slow) == b""
        assert httpx.get(_url(responder, "/healthz")).status_code == 200
    finally:
        responder.close()


def test_a_port_in_use_leaves_the_bind_to_the_full_listener(
    responder: StartingResponder,
) -> None:
    assert bind_early("127.0.0.1", responder.port, ANSWERS) is None
