"""The daemon's HTTP listener: bearer token on every route but the public ones, bind errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from monitor.config.feeds import ListenerSettings
from monitor.listener.server import HttpListener, Request, Response
from monitor.web.health import start_listener

TOKEN = "s3cret-Token_value~1"


async def _echo(request: Request) -> Response:
    return Response(200, request.path.encode())


@pytest.fixture(name="listener")
async def _listener() -> AsyncIterator[HttpListener]:
    listener = HttpListener("127.0.0.1", 0, token=TOKEN, max_body_bytes=1024)
    for path in ("/healthz", "/readyz", "/websub/"):
        listener.route("GET", path, _echo, public=True)
    for path in ("/metrics", "/status", "/-/reload"):
        listener.route("POST" if path == "/-/reload" else "GET", path, _echo)
    await listener.start()
    yield listener
    await listener.stop()


NO_HEADER: dict[str, str] = {}
WRONG = {"Authorization": "Bearer not-the-token"}
RIGHT = {"Authorization": f"Bearer {TOKEN}"}
LOWER_SCHEME = {"Authorization": f"bearer {TOKEN}"}
BASIC = {"Authorization": f"Basic {TOKEN}"}
PREFIX_ONLY = {"Authorization": f"Bearer {TOKEN[:-1]}"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        *[("GET", path, headers, 200) for path in ("/healthz", "/readyz", "/websub/x")
          for headers in (NO_HEADER, WRONG, RIGHT)],
        *[(method, path, NO_HEADER, 401) for method, path in
          (("GET", "/metrics"), ("GET", "/status"), ("POST", "/-/reload"))],
        *[(method, path, WRONG, 401) for method, path in
          (("GET", "/metrics"), ("GET", "/status"), ("POST", "/-/reload"))],
        *[(method, path, RIGHT, 200) for method, path in
          (("GET", "/metrics"), ("GET", "/status"), ("POST", "/-/reload"))],
        ("GET", "/metrics", LOWER_SCHEME, 200),
        ("GET", "/metrics", BASIC, 401),
        ("GET", "/metrics", PREFIX_ONLY, 401),
        ("GET", "/nowhere", NO_HEADER, 404),
    ],
)  # fmt: skip
async def test_token_protects_every_route_but_probes_and_websub(
    listener: HttpListener, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    async with httpx.AsyncClient(base_url=listener.url) as http:
        answer = await http.request(method, path, headers=headers)
    assert answer.status_code == status
    if status == 401:
        challenge = answer.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        assert ('error="invalid_token"' in challenge) == bool(headers)
        assert TOKEN not in answer.text


async def test_unauthorised_request_is_refused_before_its_body_is_read(
    listener: HttpListener,
) -> None:
    async with httpx.AsyncClient(base_url=listener.url) as http:
        big = b"x" * 4096  # over the 1 KiB cap: would be 413 if the body were read first
        assert (await http.post("/-/reload", content=big)).status_code == 401
        assert (await http.post("/-/reload", content=big, headers=RIGHT)).status_code == 413


async def test_without_a_token_every_route_is_open() -> None:
    listener = HttpListener("127.0.0.1", 0)
    listener.route("GET", "/metrics", _echo)
    await listener.start()
    try:
        async with httpx.AsyncClient(base_url=listener.url) as http:
            assert (await http.get("/metrics")).status_code == 200
    finally:
        await listener.stop()


async def _client_address(request: Request) -> Response:
    return Response(200, request.client.encode())


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        {"Forwarded": "for=203.0.113.9"},
        {"X-Real-IP": "203.0.113.9"},
    ],
)
async def test_no_proxy_header_changes_the_client_address(headers: dict[str, str]) -> None:
    # The peer is loopback, which uvicorn trusts for X-Forwarded-For by default: a
    # same-host proxy (or anyone behind it) could then pose as any address.
    listener = HttpListener("127.0.0.1", 0, token=None, max_body_bytes=1024)
    listener.route("GET", "/client", _client_address)
    await listener.start()
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(listener.url + "/client", headers=headers)
    finally:
        await listener.stop()
    assert answer.text == "127.0.0.1"


async def test_a_port_in_use_is_an_oserror_and_start_listener_logs_it(
    listener: HttpListener,
) -> None:
    second = HttpListener("127.0.0.1", listener.port)
    with pytest.raises(OSError, match="could not bind"):
        await second.start()
    assert not second.serving
    settings = ListenerSettings(port=listener.port)
    assert await start_listener(HttpListener("127.0.0.1", listener.port), settings) is False


async def test_start_listener_respects_enabled_and_is_idempotent() -> None:
    listener = HttpListener("127.0.0.1", 0)
    assert await start_listener(listener, ListenerSettings(enabled=False, port=0)) is False
    assert not listener.serving
    settings = ListenerSettings(port=0)
    assert await start_listener(listener, settings)
    port = listener.port
    assert await start_listener(listener, settings)  # already serving: same socket
    assert listener.port == port
    await listener.stop()
    assert not listener.serving
