"""HTTP fetching of feeds: one shared client, conditional GET, hard limits on size and time.

Every failure is a :class:`FetchError` whose ``kind`` is one of ``FETCH_ERROR_KINDS`` and
whose message is short and safe to log (no URL credentials, bounded length).
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib.metadata
import importlib.util
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Final, Self

import httpx

from monitor.models import FeedState, FetchResult

MIB: Final = 1024 * 1024
FETCH_ERROR_KINDS: Final = frozenset(
    {"timeout", "connect", "too_large", "redirect", "http_status", "protocol"}
)
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_RETRY_AFTER_STATUSES: Final = frozenset({429, 503})
_ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
_MAX_VALIDATOR_CHARS: Final = 1024  # a longer ETag/Last-Modified is junk, not worth storing
_MAX_MESSAGE_CHARS: Final = 300
_USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")
_ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, */*;q=0.1"
)


def _package_version() -> str:
    try:
        return importlib.metadata.version("wirewatch")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


DEFAULT_USER_AGENT: Final = (
    f"wirewatch/{_package_version()} (+https://github.com/wirewatch/wirewatch)"
)


def _accept_encoding() -> str:
    # httpx decodes brotli only when one of these packages is importable.
    has_brotli = any(importlib.util.find_spec(m) for m in ("brotli", "brotlicffi"))
    return "gzip, deflate, br" if has_brotli else "gzip, deflate"


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` removed, for logs and error messages."""
    return _USERINFO.sub(r"\1", url)


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


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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


def _check_scheme(url: httpx.URL, kind: str) -> None:
    if url.scheme not in _ALLOWED_SCHEMES:
        raise FetchError(kind, f"refusing non-http(s) URL scheme {url.scheme!r}")


def _next_hop(response: httpx.Response, visited: set[str], max_redirects: int) -> httpx.URL:
    """The URL a redirect response points to, after loop, count and scheme checks."""
    try:
        target = response.url.join(response.headers["location"])
    except (httpx.InvalidURL, ValueError) as exc:
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
        retry_after = parse_retry_after(response.headers.get("retry-after"))
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
    if isinstance(exc, httpx.NetworkError):
        return FetchError("connect", detail)
    return FetchError("protocol", detail)


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """The decoded body, aborting as soon as it (or its declared length) exceeds ``cap``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError("too_large", f"declared body of {declared} bytes exceeds {cap}")
    body = bytearray()
    # aiter_bytes yields content-decoded data, so a compression bomb is measured as it
    # inflates rather than by its small wire size.
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > cap:
            raise FetchError("too_large", f"body exceeds {cap} bytes")
    return bytes(body)


class Fetcher:
    """Fetches feeds over one shared :class:`httpx.AsyncClient` with bounded concurrency."""

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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._total_timeout = total_timeout
        self._max_body_bytes = max_body_bytes
        self._max_redirects = max_redirects
        self._semaphore = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(
            headers={
                "User-Agent": user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": _accept_encoding(),
            },
            # pool=None: our semaphore is the concurrency limit, the pool must never queue.
            timeout=httpx.Timeout(
                connect=connect_timeout, read=read_timeout, write=read_timeout, pool=None
            ),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=concurrency),
            follow_redirects=False,  # followed by hand, to check every hop
            transport=transport,
        )

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
        await self._client.aclose()

    async def fetch(
        self, url: str, state: FeedState | None = None, *, max_body_bytes: int | None = None
    ) -> FetchResult:
        """GET ``url`` (conditionally, given ``state``) and return the accepted response.

        Raises :class:`FetchError` on any failure, including non-2xx statuses other than 304.
        """
        cap = self._max_body_bytes if max_body_bytes is None else max_body_bytes
        async with self._semaphore:
            try:
                async with asyncio.timeout(self._total_timeout):
                    return await self._fetch(url, state, cap)
            except TimeoutError as exc:
                raise FetchError(
                    "timeout", f"no complete answer within {self._total_timeout:g}s from {url}"
                ) from exc
            except httpx.HTTPError as exc:
                raise _translate(exc) from exc
            except httpx.InvalidURL as exc:
                # The feed URL was validated already: httpx pre-builds the request a redirect
                # points to (even when not following it) and this is that Location failing.
                raise FetchError("redirect", "redirect to an invalid URL") from exc

    async def _fetch(self, url: str, state: FeedState | None, cap: int) -> FetchResult:
        async with self._final_response(url, _conditional_headers(state)) as response:
            if response.status_code == 304:
                return self._not_modified(url, response, state)
            if not response.is_success:
                raise _status_error(response)
            body = await _read_capped(response, cap)
            return FetchResult(
                url=url,
                final_url=str(response.url),
                status=response.status_code,
                body=body,
                etag=_validator(response, "etag"),
                last_modified=_validator(response, "last-modified"),
                content_type=response.headers.get("content-type"),
            )

    @staticmethod
    def _not_modified(url: str, response: httpx.Response, state: FeedState | None) -> FetchResult:
        # A 304 need not repeat the validators; keep the ones we sent so state is not wiped.
        return FetchResult(
            url=url,
            final_url=str(response.url),
            status=304,
            body=b"",
            etag=_validator(response, "etag") or (state.etag if state else None),
            last_modified=_validator(response, "last-modified")
            or (state.last_modified if state else None),
            content_type=response.headers.get("content-type"),
        )

    @asynccontextmanager
    async def _final_response(
        self, url: str, headers: dict[str, str]
    ) -> AsyncIterator[httpx.Response]:
        """Stream the response at the end of the redirect chain; bodies of hops are not read."""
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError("protocol", "invalid feed URL") from exc
        _check_scheme(target, "protocol")
        visited: set[str] = set()
        while True:
            visited.add(str(target))
            async with self._client.stream("GET", target, headers=headers) as response:
                if not self._is_redirect(response):
                    yield response
                    return
                target = _next_hop(response, visited, self._max_redirects)

    @staticmethod
    def _is_redirect(response: httpx.Response) -> bool:
        return response.status_code in _REDIRECT_STATUSES and "location" in response.headers
