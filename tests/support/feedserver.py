"""A real HTTP server on 127.0.0.1 for tests: register routes, fetch them, inspect requests.

    with FeedServer() as server:
        server.add_feed("/feed.xml", body, content_type="application/rss+xml", etag='"v1"')
        url = server.url("/feed.xml")
        ...
        assert server.requests[-1].headers["if-none-match"] == '"v1"'

Handlers run on the server's threads. A handler may block on ``server.release`` (an Event
set when the server closes) to simulate a server that never answers.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = ["FeedServer", "RecordedRequest", "Reply", "Route"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server saw it; header names are lower-case."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""  # POST bodies (a WebSub hub's subscription requests)


@dataclass(slots=True)
class Reply:
    """What a route answers. An iterable body is streamed and delimited by closing, or
    sent in chunks when its headers say ``Transfer-Encoding: chunked``."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


Route = Callable[[RecordedRequest], Reply]
_Request = socket.socket | tuple[bytes, socket.socket]
_Address = Any


def _not_modified(request: RecordedRequest, etag: str | None, last_modified: str | None) -> bool:
    """RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since when both are present."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return etag is not None and ("*" in tags or etag in tags)
    since = request.headers.get("if-modified-since")
    return since is not None and since == last_modified


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer("GET", b"")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        self._answer("POST", self.rfile.read(int(length) if length.isdigit() else 0))

    def _answer(self, method: str, body: bytes) -> None:
        request = RecordedRequest(
            method=method,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        self.server.owner._record(request)
        route = self.server.owner._route_for(self.path)
        reply = route(request) if route else Reply(404, {}, b"not found")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response_only(reply.status)
        headers = {name.lower(): value for name, value in reply.headers.items()}
        headers.setdefault("date", self.date_time_string())  # a route may pin its own clock
        if isinstance(reply.body, bytes) and "content-length" not in headers:
            headers["content-length"] = str(len(reply.body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
        chunked = headers.get("transfer-encoding") == "chunked"  # framed here, as declared
        try:
            for chunk in chunks:
                self.wfile.write(_chunk(chunk) if chunked and chunk else chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on the body, which is what size-limit tests want

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


def _chunk(data: bytes) -> bytes:
    """``data`` as one chunk of a chunked body (RFC 9112 7.1)."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: FeedServer, host: str) -> None:
        self.owner = owner
        super().__init__((host, 0), _Handler)

    def handle_error(self, request: _Request, client_address: _Address) -> None:
        pass  # clients hanging up mid-response are expected in these tests

    def process_request_thread(self, request: _Request, client_address: _Address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.owner._handled()


class FeedServer:
    """A ThreadingHTTPServer on an ephemeral loopback port, serving registered routes.
    ``host`` is another loopback address (127.0.0.2 …) for a site of its own: the daemon
    keeps politeness lanes and robots.txt per host."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.release = threading.Event()
        self._scheme = "https" if tls else "http"
        self._lock = threading.Condition()
        self._routes: dict[str, Route] = {}
        self._requests: list[RecordedRequest] = []
        self._handled_count = 0
        self._server = _Server(self, host)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        # A short poll interval keeps shutdown (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.release.set()  # unblock any handler that is stalling on purpose
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"{self._scheme}://{self.host}:{self.port}{path}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def wait_handled(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` requests have been fully handled (or ``timeout`` passes)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._handled_count >= count, timeout)

    # -- routes -------------------------------------------------------------------------

    def add_route(self, path: str, route: Route) -> None:
        """Answer GETs and POSTs of ``path`` (query string included) with ``route``."""
        with self._lock:
            self._routes[path] = route

    def add_feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: str | None = None,
        last_modified: str | None = None,
        gzip_body: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """A static document with optional validators, answering conditional GETs with 304."""
        sent = gzip.compress(body) if gzip_body else body
        base = dict(headers or {})
        base["Content-Type"] = content_type
        if gzip_body:
            base["Content-Encoding"] = "gzip"
        validators = {"ETag": etag, "Last-Modified": last_modified}
        base.update({name: value for name, value in validators.items() if value is not None})

        def route(request: RecordedRequest) -> Reply:
            if _not_modified(request, etag, last_modified):
                return Reply(304, {k: v for k, v in base.items() if k in validators}, b"")
            return Reply(200, base, sent)

        self.add_route(path, route)

    def add_redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add_route(path, lambda _request: Reply(status, {"Location": location}, b""))

    def add_status(
        self, path: str, status: int, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> None:
        self.add_route(path, lambda _request: Reply(status, dict(headers or {}), body))

    def add_stream(
        self, path: str, chunks: Callable[[], Iterable[bytes]], headers: Mapping[str, str]
    ) -> None:
        """A body produced chunk by chunk on each request, never held in memory whole."""
        self.add_route(path, lambda _request: Reply(200, dict(headers), chunks()))

    def add_stall(self, path: str, *, send_headers: bool = False) -> None:
        """A route that never completes its answer until the server closes."""

        def stalled_body() -> Iterator[bytes]:
            self.release.wait()
            yield b""

        def route(_request: RecordedRequest) -> Reply:
            if not send_headers:
                self.release.wait()
            return Reply(200, {"Content-Type": "application/rss+xml"}, stalled_body())

        self.add_route(path, route)

    @staticmethod
    def http_date(timestamp: float) -> str:
        return formatdate(timestamp, usegmt=True)

    # -- called from handler threads ---------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _route_for(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path)

    def _handled(self) -> None:
        with self._lock:
            self._handled_count += 1
            self._lock.notify_all()
