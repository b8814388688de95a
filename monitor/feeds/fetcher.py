"""HTTP fetching of feeds: shared httpx transports, conditional GET, politeness, hard limits.

httpx, as the design card fixes (aiohttp costs less CPU per 304 in ``bench/poll.py``; one
HTTP stack was chosen over that). Concurrency is bounded by our own semaphores (globally,
and per host with spacing: :mod:`monitor.feeds.politeness`), never by the connection pool.
Bodies are read still encoded (``aiter_raw``) and decoded by :mod:`monitor.feeds.decoding`
under the cap, so a compression bomb is never inflated past it. Redirects are followed
by hand so every hop is checked; a chain that starts with permanent redirects (301/308)
reports where the feed now lives. Every failure is a :class:`FetchError` whose ``kind``
is one of ``FETCH_ERROR_KINDS``, with a short message safe to log (no URL credentials).
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final, Self, TypedDict

import certifi
import httpx

from monitor.feeds.decoding import BodyDecoder, BodyTooLargeError, UndecodableBodyError
from monitor.feeds.http_hints import cache_lifetime, http_date, link_header, parse_retry_after
from monitor.feeds.politeness import HostGate
from monitor.feeds.request_options import DEFAULT_USER_AGENT, RequestOptions
from monitor.observability import redact_url
from monitor.records import FeedState, FetchResult

MIB: Final = 1024 * 1024
FETCH_ERROR_KINDS: Final = frozenset(
    {"timeout", "connect", "too_large", "redirect", "http_status", "protocol"}
)
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS: Final = frozenset({301, 308})
_SHARDS: Final = 512  # ~one host per shard for a few hundred hosts: connections get reused
_KEEPALIVE_PER_SHARD: Final = 4  # two in flight per host (politeness), with room
_KEEPALIVE_SECONDS: Final = 30.0
_RETRY_AFTER_STATUSES: Final = frozenset({429, 503})
_ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
_MAX_VALIDATOR_CHARS: Final = 1024  # a longer ETag/Last-Modified is junk, not worth storing
_MAX_MESSAGE_CHARS: Final = 300
_ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, */*;q=0.1"
)
_ACCEPT_ENCODING: Final = "gzip, deflate, br"  # decoded by monitor.feeds.decoding, capped


def _safe_message(text: str) -> str:
    return redact_url(text)[:_MAX_MESSAGE_CHARS]


class FetchError(Exception):
    """A fetch that failed; ``kind`` says how, ``status``/``retry_after`` when the server said."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        if kind not in FETCH_ERROR_KINDS:
            raise ValueError(f"unknown fetch error kind: {kind!r}")
        super().__init__(_safe_message(message))
        self.kind = kind
        self.message = _safe_message(message)
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"FetchError(kind={self.kind!r}, message={self.message!r}, status={self.status!r})"


def _validator(response: httpx.Response, name: str) -> str | None:
    value: str | None = response.headers.get(name)
    if value is None or len(value) > _MAX_VALIDATOR_CHARS:
        return None
    return value


def _conditional_headers(state: FeedState | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _parse_url(url: str, kind: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError(kind, "invalid URL") from exc
    _check_scheme(parsed, kind)
    return parsed


def _check_scheme(url: httpx.URL, kind: str) -> None:
    if url.scheme not in _ALLOWED_SCHEMES or not url.host:
        raise FetchError(kind, f"refusing non-http(s) URL scheme {url.scheme!r}")


def _next_hop(response: httpx.Response, visited: set[str], max_redirects: int) -> httpx.URL:
    """The URL a redirect response points to, after loop, count and scheme checks."""
    try:
        target = response.url.join(response.headers["Location"])
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError("redirect", "redirect with an invalid Location") from exc
    _check_scheme(target, "redirect")
    if str(target) in visited:
        raise FetchError("redirect", f"redirect loop at {target}")
    if len(visited) > max_redirects:
        raise FetchError("redirect", f"more than {max_redirects} redirects")
    return target


def _status_error(response: httpx.Response) -> FetchError:
    retry_after = None
    if response.status_code in _RETRY_AFTER_STATUSES:
        # An HTTP-date is read against the server's own Date: clocks disagree, deltas do not.
        server_now = http_date(response.headers.get("Date"))
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=server_now)
    return FetchError(
        "http_status",
        f"HTTP {response.status_code} from {response.url}",
        status=response.status_code,
        retry_after=retry_after,
    )


def _translate(exc: httpx.HTTPError) -> FetchError:
    """Map an httpx failure onto our small set of kinds, keeping only a safe summary."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return FetchError("timeout", detail)
    if isinstance(exc, httpx.NetworkError | httpx.ProxyError):
        return FetchError("connect", detail)
    return FetchError("protocol", detail)


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """The decoded body, aborting as soon as it (or its declared length) exceeds ``cap``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise FetchError("too_large", f"declared body of {declared} bytes exceeds {cap}")
    try:
        decoder = BodyDecoder(response.headers.get("Content-Encoding"), cap)
        body = bytearray()
        # Raw (still encoded) chunks, decoded as they arrive: a compression bomb is measured
        # as it inflates rather than by its small wire size, and never inflated past the cap.
        async for chunk in response.aiter_raw():
            body += decoder.feed(chunk)
    except BodyTooLargeError as exc:
        raise FetchError("too_large", f"body exceeds {cap} bytes") from exc
    except UndecodableBodyError as exc:
        raise FetchError("protocol", str(exc)) from exc
    return bytes(body)


@dataclass(slots=True)
class _Hops:
    """Where the redirect chain went: the hops seen, and the target of its leading run of
    permanent redirects (the feed's new address), if any."""

    visited: set[str] = field(default_factory=set)
    moved_to: str | None = None
    only_permanent: bool = True

    def record(self, status: int, target: httpx.URL) -> None:
        if self.only_permanent and status in _PERMANENT_REDIRECTS:
            self.moved_to = str(target)
        else:
            self.only_permanent = False


class Fetcher:
    """Fetches feeds over shared :class:`httpx.AsyncHTTPTransport` s with bounded concurrency."""

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        total_timeout: float = 60.0,
        max_body_bytes: int = 15 * MIB,
        max_redirects: int = 5,
        concurrency: int = 16,
        host_gate: HostGate | None = None,
    ) -> None:
        self._total_timeout = total_timeout
        self._max_body_bytes = max_body_bytes
        self._max_redirects = max_redirects
        self._semaphore = asyncio.Semaphore(concurrency)
        self._gate = host_gate or HostGate(concurrency=concurrency, spacing=0.0)
        self._headers = {
            "User-Agent": user_agent,
            "Accept": _ACCEPT,
            "Accept-Encoding": _ACCEPT_ENCODING,
        }
        # pool=None: our semaphores are the concurrency limit, the pool must never queue.
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=None
        )
        self._tls = ssl.create_default_context(cafile=certifi.where())  # shared by clients
        self._timeouts = self._timeout.as_dict()  # per request, as a client would send it
        # Transports per (proxy, TLS verification, shard of the host): a transport fixes
        # the first two, and its pool scans its connections on each request, so small
        # pools per shard keep connections to many hosts alive at a constant cost. No
        # AsyncClient on top: its layers (auth, redirects, cookies, event hooks) cost a
        # third of a 304's CPU and we do redirects and credentials by hand anyway.
        self._transports: dict[tuple[str | None, bool, int], httpx.AsyncHTTPTransport] = {}

    def _transport(self, options: RequestOptions, host: str) -> httpx.AsyncHTTPTransport:
        key = (options.proxy, options.verify_tls, zlib.crc32(host.encode()) % _SHARDS)
        transport = self._transports.get(key)
        if transport is None:
            transport = self._transports[key] = httpx.AsyncHTTPTransport(
                verify=self._tls if options.verify_tls else False,
                limits=httpx.Limits(
                    max_connections=None,  # unbounded: our semaphores bound concurrency
                    max_keepalive_connections=_KEEPALIVE_PER_SHARD,
                    keepalive_expiry=_KEEPALIVE_SECONDS,
                ),
                proxy=options.proxy,
                trust_env=False,  # a feed's proxy is its own setting, not the environment's
            )
        return transport

    def _request(self, target: httpx.URL, headers: dict[str, str]) -> httpx.Request:
        """The GET a client would send: default headers, and URL credentials as Basic auth
        unless the feed sets its own Authorization (which then wins)."""
        merged = {**self._headers, **headers}
        if target.userinfo:
            if "Authorization" not in headers:
                merged["Authorization"] = _basic_auth(target.username, target.password)
            target = target.copy_with(username=None, password=None)
        return httpx.Request("GET", target, headers=merged, extensions={"timeout": self._timeouts})

    @asynccontextmanager
    async def _send(
        self, transport: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> AsyncIterator[httpx.Response]:
        """The response, streamed; closed (an unread body too) when the block ends."""
        response = await transport.handle_async_request(request)
        response.request = request
        try:
            yield response
        finally:
            await response.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        transports = list(self._transports.values())
        self._transports.clear()
        for transport in transports:
            await transport.aclose()

    async def fetch(
        self,
        url: str,
        state: FeedState | None = None,
        *,
        max_body_bytes: int | None = None,
        options: RequestOptions | None = None,
    ) -> FetchResult:
        """GET ``url`` (conditionally, given ``state``) and return the accepted response.

        Waits for the host's turn (per-host limit and spacing), then for a global slot.
        Raises :class:`FetchError` on any failure, including non-2xx statuses other than 304.
        """
        options = options or RequestOptions()
        cap = options.max_body_bytes or max_body_bytes or self._max_body_bytes
        target = _parse_url(url, "protocol")
        async with self._gate.slot(target.host), self._semaphore:
            try:
                async with asyncio.timeout(self._total_timeout):
                    return await self._fetch(url, target, state, cap, options)
            except TimeoutError as exc:
                raise FetchError(
                    "timeout", f"no complete answer within {self._total_timeout:g}s from {url}"
                ) from exc
            except httpx.HTTPError as exc:
                raise _translate(exc) from exc
            except httpx.InvalidURL as exc:
                # httpx pre-builds the request a redirect points to, even when not following.
                raise FetchError("redirect", "redirect to an invalid URL") from exc
            except ValueError as exc:  # httpx refusing a header value (e.g. not encodable)
                raise FetchError("protocol", f"{type(exc).__name__}: {exc}") from exc

    async def _fetch(
        self,
        url: str,
        target: httpx.URL,
        state: FeedState | None,
        cap: int,
        options: RequestOptions,
    ) -> FetchResult:
        hops = _Hops()
        headers = {**options.request_headers(), **_conditional_headers(state)}
        async with self._final_response(target, headers, options, hops) as response:
            if response.status_code == 304:
                # A 304 has no body, but its end must be read for the connection to go back
                # to the pool; closed unread, every 304 would cost a new connection.
                async for _chunk in response.aiter_raw():
                    pass
                return self._not_modified(url, response, state, hops)
            if not response.is_success:
                raise _status_error(response)
            body = await _read_capped(response, cap)
            return FetchResult(
                url=url,
                final_url=str(response.url),
                status=response.status_code,
                body=body,
                etag=_validator(response, "ETag"),
                last_modified=_validator(response, "Last-Modified"),
                content_type=response.headers.get("Content-Type"),
                **_hints(response, hops),
            )

    @staticmethod
    def _not_modified(
        url: str, response: httpx.Response, state: FeedState | None, hops: _Hops
    ) -> FetchResult:
        # A 304 need not repeat the validators; keep the ones we sent so state is not wiped.
        return FetchResult(
            url=url,
            final_url=str(response.url),
            status=304,
            body=b"",
            etag=_validator(response, "ETag") or (state.etag if state else None),
            last_modified=_validator(response, "Last-Modified")
            or (state.last_modified if state else None),
            content_type=response.headers.get("Content-Type"),
            **_hints(response, hops),
        )

    @asynccontextmanager
    async def _final_response(
        self, origin: httpx.URL, headers: dict[str, str], options: RequestOptions, hops: _Hops
    ) -> AsyncIterator[httpx.Response]:
        """Stream the response at the end of the redirect chain; bodies of hops are not read.

        Credentials go only to the feed's own origin, never to where a redirect points.
        """
        transport, target = self._transport(options, origin.host), origin
        while True:
            hops.visited.add(str(target))
            same_origin = _origin(target) == _origin(origin)
            hop_headers = headers if same_origin else _without_credentials(headers)
            async with self._send(transport, self._request(target, hop_headers)) as response:
                if not self._is_redirect(response):
                    yield response  # leaving the block closes the stream, unread bodies too
                    return
                next_target = _next_hop(response, hops.visited, self._max_redirects)
                hops.record(response.status_code, next_target)
                target = next_target

    @staticmethod
    def _is_redirect(response: httpx.Response) -> bool:
        return response.status_code in _REDIRECT_STATUSES and "Location" in response.headers


class _Hints(TypedDict):
    moved_to: str | None
    cache_lifetime: float | None
    hub: str | None
    self_url: str | None


def _hints(response: httpx.Response, hops: _Hops) -> _Hints:
    """What the response says beyond the body: the feed's new home, freshness, WebSub."""
    base = str(response.url)
    return {
        "moved_to": hops.moved_to,
        "cache_lifetime": cache_lifetime(response.headers),
        "hub": link_header(response.headers, "hub", base),
        "self_url": link_header(response.headers, "self", base),
    }


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _without_credentials(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() != "authorization"}


def _basic_auth(username: str, password: str) -> str:
    credentials = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(credentials).decode("ascii")
