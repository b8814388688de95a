"""The daemon's HTTP listener: a small ASGI app served by uvicorn, with a route table.

The daemon owns one (``Daemon.listener``); health, readiness and metrics
(:mod:`monitor.web.health`), WebSub callbacks and the status page add their routes with
:meth:`HttpListener.route`. It binds 127.0.0.1 unless configured otherwise. With a bearer
token, every route not added as ``public`` answers 401 without it (compared in constant
time, checked before the body is read). Requests are attacker-controlled: bodies are capped
while they arrive, and a handler's crash is a 500 for that request, never the daemon's.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import structlog

from monitor.listener.starting import StartingResponder, bearer_challenge, bearer_matches, bind

if TYPE_CHECKING:
    from monitor.listener.quiet import QuietServer

log = structlog.get_logger("monitor.listener.server")

MAX_BODY_BYTES = 15 * 1024 * 1024
ANY_METHOD = "*"  # a route for every method (the API answers 405 itself)
ASGIMessage = dict[str, Any]
Receive = Callable[[], Awaitable[ASGIMessage]]
Send = Callable[[ASGIMessage], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    client: str = ""  # the peer's address (no proxy header is trusted), "" when unknown
    query_string: str = ""  # as sent (``query`` drops parameters with blank values)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = field(default=())


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    prefix: str
    handler: Handler
    public: bool  # served without the bearer token (health probes, WebSub hubs)


class _TooLargeError(Exception):
    pass


class HttpListener:
    """Routes ``(method, path prefix)`` to handlers; the longest matching prefix wins."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        token: str | None = None,
        starting: StartingResponder | None = None,
    ) -> None:
        """``starting``: the responder answering on this listener's socket while the
        daemon was built; :meth:`start` takes its socket over instead of binding."""
        self.host = host
        self.requested_port = port
        self.max_body_bytes = max_body_bytes
        self._token = token.encode("latin-1") if token else None
        self._routes: list[_Route] = []
        self._starting = starting
        self._server: QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    def route(self, method: str, prefix: str, handler: Handler, *, public: bool = False) -> None:
        """Serve ``handler`` for ``method`` (``"*"``: any) on paths starting with ``prefix``;
        only a ``public`` route is served without the bearer token (when one is set)."""
        self._routes.append(_Route(method.upper(), prefix, handler, public))
        self._routes.sort(key=lambda route: len(route.prefix), reverse=True)

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        assert self._server is not None, "listener not started"
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        import uvicorn  # noqa: PLC0415 - imported once serving, not before the early bind

        from monitor.listener.quiet import QuietServer  # noqa: PLC0415 - subclasses uvicorn's

        config = uvicorn.Config(
            self, host=self.host, port=self.requested_port, lifespan="off",
            log_config=None, access_log=False, server_header=False, date_header=False,
            # The peer's address is the client: uvicorn would otherwise take
            # X-Forwarded-For from a loopback peer, and behind a same-host proxy anyone
            # could pose as any address (the API's loopback-only check among others).
            proxy_headers=False, forwarded_allow_ips=[],
        )  # fmt: skip
        # Bound here, not by uvicorn: its bind error is a sys.exit(), which would escape
        # the event loop and end the daemon; ours is an OSError the caller decides about.
        sock = await self._take_socket()
        self._server = QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._server = None
                await self._task
                raise OSError(f"listener did not start on {self.host}:{self.requested_port}")
            await asyncio.sleep(0.01)
        log.info("listener_started", host=self.host, port=self.port)

    async def _take_socket(self) -> socket.socket:
        """The early responder's socket (once), else a new one bound now."""
        starting, self._starting = self._starting, None
        if starting is None:
            return bind(self.host, self.requested_port)
        return await asyncio.to_thread(starting.hand_over)  # joins its thread: off the loop

    async def stop(self) -> None:
        if self._starting is not None:  # never served: the early responder ends here
            starting, self._starting = self._starting, None
            await asyncio.to_thread(starting.close)
        if self._server is not None and self._task is not None:
            self._server.stop_now()
            await self._task
        self._server = self._task = None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return None
        route = self._match(scope["method"], scope["path"])
        if route is None:
            return await _send(send, Response(404, b"not found"))
        headers = _headers(scope)
        if not route.public and not bearer_matches(headers.get("authorization", ""), self._token):
            return await _send(send, _unauthorised("authorization" in headers))
        try:
            request = await _request(scope, headers, receive, self.max_body_bytes)
        except _TooLargeError:
            return await _send(send, Response(413, b"too large"))
        try:
            response = await route.handler(request)
        except Exception:
            log.exception("listener_handler_crashed", path=request.path)
            response = Response(500, b"internal error")
        await _send(send, response)
        return None

    def _match(self, method: str, path: str) -> _Route | None:
        for route in self._routes:
            if route.method in (method, ANY_METHOD) and path.startswith(route.prefix):
                return route
        return None


def _unauthorised(attempted: bool) -> Response:
    challenge = bearer_challenge(attempted)
    return Response(401, b"unauthorized", headers=(("WWW-Authenticate", challenge),))


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", [])}  # fmt: skip


async def _request(
    scope: dict[str, Any], headers: dict[str, str], receive: Receive, cap: int
) -> Request:
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > cap:
            raise _TooLargeError
        if not message.get("more_body"):
            break
    raw = scope.get("query_string", b"").decode("latin-1")
    client = scope.get("client") or ("", 0)
    return Request(scope["method"], scope["path"], dict(parse_qsl(raw)), headers, bytes(body),
                   client[0], raw)  # fmt: skip


async def _send(send: Send, response: Response) -> None:
    headers = [(b"content-type", response.content_type.encode())]
    headers += [(name.encode(), value.encode()) for name, value in response.headers]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
