"""The listener's socket, bound as the first thing ``wirewatch run`` does, and answered by
a small responder while the daemon is built (decision 0057).

Importing the daemon and opening its store take a second or more; a liveness probe
should not wait for them. :func:`bind_early` binds the configured address and starts a
:class:`StartingResponder` in a thread of its own (the main thread imports and builds
meanwhile, holding the GIL only in slices): it answers the routes it is given (``/healthz``
200, ``/readyz`` 503), the prefixes that carry their own check
(:data:`~monitor.listener.public.PUBLIC_PREFIXES`) 503 "starting" without the token, and
every other route 503 "starting" after the same bearer-token check as the full listener.
:class:`~monitor.listener.server.HttpListener` then takes the very socket over
(:meth:`StartingResponder.hand_over`): connections that arrive meanwhile wait in its
backlog, none is refused; the responder waits for a connection before it accepts one, so
that stopping it never drops one it has accepted.

Requests are attacker-controlled: the head is capped and must arrive within
:data:`READ_SECONDS`, connections beyond :data:`MAX_CONNECTIONS` are closed unanswered.
Only the standard library is imported here, so that it is cheap to import.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

log = structlog.get_logger("monitor.listener.starting")

MAX_HEAD_BYTES = 16 * 1024
READ_SECONDS = 5.0
MAX_CONNECTIONS = 64
HANDOVER_SECONDS = 0.5  # how long a request being read may hold up the hand-over
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 431: "Request Header Fields Too Large",
            503: "Service Unavailable"}  # fmt: skip
_SAFE_HEADERS = (("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                 ("Content-Security-Policy", "default-src 'none'"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Answer:
    """A fixed response for one public route while the daemon starts."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


STARTING = Answer(503, b"starting\n")


def bearer_challenge(attempted: bool) -> str:
    """The 401's WWW-Authenticate value, the same here and on the full listener (RFC 6750:
    ``invalid_token`` when a token was presented)."""
    return 'Bearer realm="wirewatch"' + (', error="invalid_token"' if attempted else "")


def bearer_matches(authorization: str, token: bytes | None) -> bool:
    """Whether an ``Authorization`` value presents ``token`` (any does when none is set),
    the one check here and on the full listener. compare_digest: the time taken does not
    tell how much of a guess was right; a header beyond latin-1 cannot match."""
    if token is None:
        return True
    scheme, _, presented = authorization.partition(" ")
    given = presented.strip().encode("latin-1", errors="replace")
    return scheme.lower() == "bearer" and hmac.compare_digest(given, token)


class _BadRequestError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class StartingResponder:
    """Answers on a bound socket from a thread until :meth:`hand_over`."""

    def __init__(
        self,
        sock: socket.socket,
        answers: Mapping[str, Answer],
        *,
        token: str | None = None,
        public_prefixes: Sequence[str] = (),
        max_connections: int = MAX_CONNECTIONS,
        read_seconds: float = READ_SECONDS,
    ) -> None:
        self._sock = sock
        self._answers = dict(answers)
        self._public_prefixes = tuple(public_prefixes)
        self._max_connections = max_connections
        self._read_seconds = read_seconds
        self._token = token.encode("latin-1") if token else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._running = threading.Event()  # the thread's loop exists: it can be stopped
        self._thread = threading.Thread(target=self._run, name="wirewatch-starting", daemon=True)
        self._handed_over = False

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def start(self) -> None:
        self._sock.setblocking(False)
        self._thread.start()

    def hand_over(self) -> socket.socket:
        """The socket, no longer answered here: the full listener serves it from now on."""
        self._stop_thread()
        self._handed_over = True
        return self._sock

    def close(self) -> None:
        """Stop answering; the socket is closed unless it was handed over."""
        self._stop_thread()
        if not self._handed_over:
            self._sock.close()

    def _stop_thread(self) -> None:
        if not self._thread.is_alive():
            return
        self._running.wait()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop has ended already
                loop.call_soon_threadsafe(stop.set)
        self._thread.join()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception:  # the daemon starts regardless; its listener binds anew if need be
            log.exception("listener_starting_responder_crashed")
        finally:
            self._running.set()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._running.set()
        stopping = asyncio.create_task(self._stop.wait())
        answering: set[asyncio.Task[None]] = set()
        try:
            while not stopping.done():
                # Wait for a connection, not for an accept: cancelling a pending accept can
                # land after it took a connection, which would then be dropped unanswered.
                # Cancelling a readiness wait takes nothing: the backlog is handed over.
                readable = asyncio.create_task(_readable(self._sock))
                await asyncio.wait({readable, stopping}, return_when=asyncio.FIRST_COMPLETED)
                readable.cancel()
                if not stopping.done():
                    self._accept_waiting(answering)
        finally:  # requests being read get a moment, not READ_SECONDS: the daemon waits
            stopping.cancel()
            await _finish(answering)

    def _accept_waiting(self, answering: set[asyncio.Task[None]]) -> None:
        """Every connection in the backlog now: answered, or closed beyond the cap."""
        while True:
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            if len(answering) >= self._max_connections:
                conn.close()
                continue
            task = asyncio.create_task(self._answer(conn))
            answering.add(task)
            task.add_done_callback(answering.discard)

    async def _answer(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        with conn:
            conn.setblocking(False)
            try:
                async with asyncio.timeout(self._read_seconds):
                    head = await _read_head(loop, conn)
                method, answer = self._respond(head)
                await loop.sock_sendall(conn, _encode(answer, head_only=method == "HEAD"))
            except _BadRequestError as err:
                with contextlib.suppress(OSError):
                    await loop.sock_sendall(conn, _encode(Answer(err.status, b""), head_only=True))
            except (TimeoutError, OSError):
                return

    def _respond(self, head: bytes) -> tuple[str, Answer]:
        method, path, headers = _parse_head(head)
        answer = self._answers.get(path)
        if answer is not None:  # public, as on the full listener
            return method, answer if method in ("GET", "HEAD") else Answer(405, b"")
        if path.startswith(self._public_prefixes):  # their own check, once the daemon is up
            return method, STARTING
        if not bearer_matches(headers.get("authorization", ""), self._token):
            challenge = bearer_challenge("authorization" in headers)
            return method, Answer(401, b"unauthorized", headers=(("WWW-Authenticate", challenge),))
        return method, STARTING


async def _finish(answering: set[asyncio.Task[None]]) -> None:
    if not answering:
        return
    _, unfinished = await asyncio.wait(answering, timeout=HANDOVER_SECONDS)
    for task in unfinished:  # a client this slow reconnects and reaches the full listener
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished)


async def _readable(sock: socket.socket) -> None:
    """Until ``sock`` has a connection waiting (none is accepted here)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


async def _read_head(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await loop.sock_recv(conn, 4096)
        if not chunk:
            raise _BadRequestError(400)
        head += chunk
        if len(head) > MAX_HEAD_BYTES:
            raise _BadRequestError(431)
    return head.split(b"\r\n\r\n", 1)[0]


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    """Method, path (no query) and lower-cased headers of a request head."""
    line, *fields = head.decode("latin-1").split("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequestError(400)
    headers = {}
    for field in fields:
        name, colon, value = field.partition(":")
        if not colon:
            raise _BadRequestError(400)
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1].split("?", 1)[0], headers


def _encode(answer: Answer, *, head_only: bool) -> bytes:
    lines = [f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, '')}",
             f"Content-Type: {answer.content_type}", f"Content-Length: {len(answer.body)}",
             "Connection: close"]  # fmt: skip
    lines += [f"{name}: {value}" for name, value in _SAFE_HEADERS]
    if answer.status == 503:
        lines.append("Retry-After: 1")
    lines += [f"{name}: {value}" for name, value in answer.headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + answer.body


def bind_early(
    host: str,
    port: int,
    answers: Mapping[str, Answer],
    *,
    token: str | None = None,
    public_prefixes: Sequence[str] = (),
) -> StartingResponder | None:
    """The listener's address bound and answered, or None when it cannot be bound now (the
    full listener tries again, and logs why, when the daemon is built). ``public_prefixes``:
    the full listener's routes with their own check, answered 503 without the token."""
    try:
        sock = bind(host, port)
    except OSError as err:
        log.debug("listener_early_bind_failed", host=host, port=port, error=str(err))
        return None
    responder = StartingResponder(sock, answers, token=token, public_prefixes=public_prefixes)
    responder.start()
    log.debug("listener_answering_while_starting", host=host, port=responder.port)
    return responder


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``; an OSError that names the address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as err:
        raise OSError(err.errno, f"listener could not bind {host}:{port}: {err.strerror}") from err
