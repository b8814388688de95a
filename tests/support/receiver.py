"""A real HTTP receiver on 127.0.0.1 that records requests and answers from a script.

    with HttpReceiver() as receiver:
        receiver.enqueue(Response(429, {"Retry-After": "7"}), Response(200))
        ... POST to receiver.url("/hook") ...
        first, second = receiver.wait_for(2)
        assert first.json()["version"] == 1

Scripted responses are used in order; once the queue is empty every request
gets ``default`` (200 "ok"), or what ``default`` makes of it when it is a function.
Requests are recorded before they are answered, so after a client has its
response the request is already visible; ``wait_for`` covers clients that do
not wait (it blocks on a condition, never sleeps, and fails loudly on timeout).
Also available as the ``http_receiver`` fixture.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import pytest

__all__ = ["Answer", "HttpReceiver", "ReceivedRequest", "Response", "http_receiver"]

WAIT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as received. ``headers`` has lower-case names; ``header_items`` is raw."""

    method: str
    path: str
    headers: Mapping[str, str]
    header_items: tuple[tuple[str, str], ...]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class Response:
    """A scripted answer. ``hold`` keeps the request open until the receiver closes, then
    drops it unanswered; ``gate`` answers only once the test sets it (or the receiver
    closes): a receiver that hangs until released."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    hold: bool = False
    gate: threading.Event | None = None


Answer = Callable[[ReceivedRequest], Response]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def _handle(self) -> None:
        headers = tuple((name, value) for name, value in self.headers.items())
        request = ReceivedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in headers},
            header_items=headers,
            body=self._read_body(),
        )
        response = self.server.owner._record(request)
        if response.hold:
            self.server.owner._released.wait()
            return
        if response.gate is not None:
            response.gate.wait()
        self._answer(response)

    def _answer(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean: requests are recorded, not logged."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a burst of connections is accepted at once, none dropped

    def __init__(self, owner: HttpReceiver, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.owner = owner


class HttpReceiver:
    """A threaded HTTP server on an ephemeral loopback port; see the module docstring."""

    def __init__(self, *, default: Response | Answer | None = None, port: int = 0) -> None:
        """``port`` 0 picks a free one; pass a closed receiver's port to bring it "back"."""
        self.default = default or Response()
        self._script: deque[Response] = deque()
        self._requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._released = threading.Event()
        self._gates: list[threading.Event] = []  # opened at close, so no request hangs on
        self._server = _Server(self, port)
        # A short poll interval only bounds how long close() waits for the serve loop.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.01)
        self._thread = threading.Thread(target=serve, daemon=True)

    @property
    def port(self) -> int:
        """The port the receiver listens on."""
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        """An absolute http URL on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def enqueue(self, *responses: Response) -> None:
        """Answer the next requests with ``responses``, in order."""
        with self._changed:
            self._script.extend(responses)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A snapshot of every request received so far."""
        with self._changed:
            return list(self._requests)

    def _record(self, request: ReceivedRequest) -> Response:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            if self._script:
                response = self._script.popleft()
            elif isinstance(self.default, Response):
                response = self.default
            else:
                response = self.default(request)
            if response.gate is not None:
                self._gates.append(response.gate)
            return response

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> list[ReceivedRequest]:
        """Block until ``count`` requests arrived; raise AssertionError after ``timeout``."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                got = len(self._requests)
                raise AssertionError(f"expected {count} request(s) within {timeout}s, got {got}")
            return list(self._requests)

    def start(self) -> Self:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Release held requests, stop serving and free the port."""
        self._released.set()
        with self._changed:
            for gate in self._gates:
                gate.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A started :class:`HttpReceiver`, closed after the test."""
    with HttpReceiver() as receiver:
        yield receiver
