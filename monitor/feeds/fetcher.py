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
import contextlib
import ssl
import zlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from types import TracebackType
from typing import Final, Self, TypedDict

import certifi
import httpx

from monitor.feeds.addresses import AddressPolicy, IPNetwork, PrivateAddressError, PublicOnlyBackend
from monitor.feeds.decoding import BodyDecoder, BodyTooLargeError, UndecodableBodyError
from monitor.feeds.errors import FetchError, status_error, translate
from monitor.feeds.http_hints import cache_lifetime, link_header
from monitor.feeds.keepalive import KeepAliveTransport
from monitor.feeds.loop_streams import LoopBackend
from monitor.feeds.politeness import HostGate, Turn
from monitor.feeds.redirects import (
    FeedAddresses,
    Hops,
    is_redirect,
    next_hop,
    parse_url,
    same_origin,
    without_credentials,
)
from monitor.feeds.request_options import DEFAULT_USER_AGENT, RequestOptions
from monitor.records import FeedState, FetchResult

MIB: Final = 1024 * 1024
_SHARDS: Final = 512  # proxied requests: ~one host per shard, each pool scanned per request
_KEEPALIVE_PER_SHARD: Final = 4  # two in flight per host (politeness), with room
_KEEPALIVE_PER_ORIGIN: Final = 4
_KEEPALIVE_SECONDS: Final = 30.0
_MAX_VALIDATOR_CHARS: Final = 1024  # a longer ETag/Last-Modified is junk, not worth storing
_ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, */*;q=0.1"
)
_ACCEPT_ENCODING: Final = "gzip, deflate, br"  # decoded by monitor.feeds.decoding, capped


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
        private_networks: Sequence[IPNetwork] = (),
    ) -> None:
        self._total_timeout = total_timeout
        self._max_body_bytes = max_body_bytes
        self._max_redirects = max_redirects
        self._semaphore = asyncio.Semaphore(concurrency)
        self.addresses = FeedAddresses()  # a feed's, polled again and again: parsed once
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
        self._no_tls_check = httpx.create_ssl_context(verify=False)
        # Requests that may reach public addresses only (RequestOptions.public_only)
        # connect through this, to addresses it has checked (monitor.feeds.addresses).
        self._direct = LoopBackend()  # asyncio's own transports: see monitor.feeds.loop_streams
        self._public_only = PublicOnlyBackend(
            AddressPolicy(tuple(private_networks)), backend=self._direct
        )
        self._timeouts = self._timeout.as_dict()  # per request, as a client would send it
        # Transports per (proxy, TLS verification, shard of the host, guarded): without a
        # proxy one keep-alive transport (its idle connections by origin) per TLS setting
        # and guard; through a proxy, httpx's transport, whose pool scans its connections
        # on each request, so small pools per shard keep connections to many hosts alive
        # at a constant cost. No AsyncClient on top: its layers (auth, redirects, cookies,
        # event hooks) cost a third of a 304's CPU and we do redirects and credentials by
        # hand anyway. A guarded transport (public addresses only) never serves an
        # unguarded request.
        self._transports: dict[tuple[str | None, bool, int, bool], httpx.AsyncBaseTransport] = {}

    def _transport(self, options: RequestOptions, host: str) -> httpx.AsyncBaseTransport:
        guarded = options.guards(host) and options.proxy is None  # a proxy: checked per hop
        shard = 0 if options.proxy is None else zlib.crc32(host.encode()) % _SHARDS
        key = (options.proxy, options.verify_tls, shard, guarded)
        transport = self._transports.get(key)
        if transport is None:
            tls = self._tls if options.verify_tls else self._no_tls_check
            transport = self._transports[key] = self._new_transport(options, tls, guarded)
        return transport

    def _new_transport(
        self, options: RequestOptions, tls: ssl.SSLContext, guarded: bool
    ) -> httpx.AsyncBaseTransport:
        """Without a proxy, our own keep-alive HTTP/1.1 (monitor.feeds.keepalive) over the
        loop's transports, checked addresses when ``guarded``; through a proxy, whose tunnel
        stays httpx's own (TLS in TLS), httpx's transport."""
        if options.proxy is None:
            backend = self._public_only if guarded else self._direct
            return KeepAliveTransport(
                backend, tls, keep=_KEEPALIVE_PER_ORIGIN, keep_seconds=_KEEPALIVE_SECONDS
            )
        return httpx.AsyncHTTPTransport(
            verify=tls,
            limits=_LIMITS,
            proxy=options.proxy,
            trust_env=False,  # a feed's proxy is its own setting, not the environment's
        )

    async def _check_proxied(self, options: RequestOptions, target: httpx.URL) -> None:
        """Through a proxy, which resolves and connects itself, the target's addresses are
        checked here (the proxy may still resolve the name differently)."""
        if options.proxy is not None and options.guards(target.host):
            port = target.port or (443 if target.scheme == "https" else 80)
            await self._public_only.addresses(target.host, port)

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
        self, transport: httpx.AsyncBaseTransport, request: httpx.Request
    ) -> AsyncIterator[httpx.Response]:
        """The response, streamed; closed (an unread body too) when the block ends."""
        response = await transport.handle_async_request(request)
        response.request = request
        try:
            yield response
        finally:
            await response.aclose()

    def remember_slow(self, states: Iterable[FeedState]) -> None:
        """Feeds stored as slow (their last fetch, maybe before a restart) wait for a slow
        place at their host from their first request here, not for one of its slots."""
        for url in (state.fetch_url for state in states if state.slow):
            with contextlib.suppress(FetchError):  # an address never fetchable: no lane
                self._gate.recall_slow(parse_url(url, "protocol").host, url)

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
        self._public_only.close()

    async def fetch(
        self,
        url: str,
        state: FeedState | None = None,
        *,
        max_body_bytes: int | None = None,
        options: RequestOptions | None = None,
    ) -> FetchResult:
        """GET ``url`` (conditionally, given ``state``) and return the accepted response.

        Waits for the host's turn (per-host limit and spacing), then for a global slot; a
        request slow to answer gives its host slot back or is ended (``HostGate.watch``).
        Raises :class:`FetchError` on any failure, including non-2xx statuses other than 304.
        """
        options = options or RequestOptions()
        cap = options.max_body_bytes or max_body_bytes or self._max_body_bytes
        # A feed's address (its state given) comes back at every poll; a page's seldom.
        target = (
            parse_url(url, "protocol") if state is None else self.addresses.parse(url, state.url)
        )
        async with self._gate.slot(target.host, url) as turn, self._semaphore:
            try:
                result = await self._timed(turn, url, target, state=state, cap=cap, options=options)
            except FetchError as err:  # stored with the feed's state: slow after a restart too
                err.slow = turn.lingered or err.kind == "timeout"
                raise
            return replace(result, slow=True) if turn.lingered else result

    async def _timed(
        self,
        turn: Turn,
        url: str,
        target: httpx.URL,
        *,
        state: FeedState | None,
        cap: int,
        options: RequestOptions,
    ) -> FetchResult:
        """:meth:`_fetch` within the total timeout, watched by the host's gate; every
        failure as a :class:`FetchError`."""
        try:
            async with asyncio.timeout(self._total_timeout) as deadline:
                self._gate.watch(turn, deadline)
                return await self._fetch(url, target, state, cap, options)
        except TimeoutError as exc:
            raise self._timeout_error(turn, url) from exc
        except httpx.HTTPError as exc:
            raise translate(exc) from exc
        except httpx.InvalidURL as exc:
            # httpx pre-builds the request a redirect points to, even when not following.
            raise FetchError("redirect", "redirect to an invalid URL") from exc
        except ValueError as exc:  # httpx refusing a header value (e.g. not encodable)
            raise FetchError("protocol", f"{type(exc).__name__}: {exc}") from exc
        except PrivateAddressError as exc:
            raise FetchError("private_address", str(exc)) from exc

    def _timeout_error(self, turn: Turn, url: str) -> FetchError:
        if turn.cut:  # ended early so that the host's other feeds keep their turns
            return FetchError(
                "timeout",
                f"no complete answer within {self._gate.slow_after:g}s from {url} while "
                f"{self._gate.slow_limit} slow requests to {turn.host} were open",
            )
        return FetchError(
            "timeout", f"no complete answer within {self._total_timeout:g}s from {url}"
        )

    async def _fetch(
        self,
        url: str,
        target: httpx.URL,
        state: FeedState | None,
        cap: int,
        options: RequestOptions,
    ) -> FetchResult:
        hops = Hops()
        headers = {**options.request_headers(), **_conditional_headers(state)}
        async with self._final_response(target, headers, options, hops) as response:
            if response.status_code == 304:
                # A 304 has no body, but its end must be read for the connection to go back
                # to the pool; closed unread, every 304 would cost a new connection.
                async for _chunk in response.aiter_raw():
                    pass
                return self._not_modified(url, response, state, hops)
            if not response.is_success:
                raise status_error(response)
            wanted = options.wants_body(response.headers.get("Content-Type"))
            body = await _read_capped(response, cap) if wanted else b""
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
        url: str, response: httpx.Response, state: FeedState | None, hops: Hops
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
        self, origin: httpx.URL, headers: dict[str, str], options: RequestOptions, hops: Hops
    ) -> AsyncIterator[httpx.Response]:
        """Stream the response at the end of the redirect chain; bodies of hops are not read.

        Credentials go only to the feed's own origin, never to where a redirect points.
        """
        target = origin
        while True:
            hops.visited.add(str(target))
            await self._check_proxied(options, target)
            transport = self._transport(options, target.host)  # each hop's host checked
            same_origin_hop = same_origin(target, origin)
            hop_headers = headers if same_origin_hop else without_credentials(headers)
            async with self._send(transport, self._request(target, hop_headers)) as response:
                if not is_redirect(response):
                    yield response  # leaving the block closes the stream, unread bodies too
                    return
                next_target = next_hop(response, hops.visited, self._max_redirects)
                hops.record(response.status_code, next_target)
                target = next_target


_LIMITS: Final = httpx.Limits(
    max_connections=None,  # unbounded: our semaphores bound concurrency
    max_keepalive_connections=_KEEPALIVE_PER_SHARD,
    keepalive_expiry=_KEEPALIVE_SECONDS,
)


class _Hints(TypedDict):
    moved_to: str | None
    cache_lifetime: float | None
    hub: str | None
    self_url: str | None


def _hints(response: httpx.Response, hops: Hops) -> _Hints:
    """What the response says beyond the body: the feed's new home, freshness, WebSub."""
    base = str(response.url)
    return {
        "moved_to": hops.moved_to,
        "cache_lifetime": cache_lifetime(response.headers),
        "hub": link_header(response.headers, "hub", base),
        "self_url": link_header(response.headers, "self", base),
    }


def _basic_auth(username: str, password: str) -> str:
    credentials = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(credentials).decode("ascii")
