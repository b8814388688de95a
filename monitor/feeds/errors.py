"""How a fetch fails: one :class:`FetchError` whose ``kind`` is one of ``FETCH_ERROR_KINDS``,
with a short message safe to log (no URL credentials), and httpx's failures mapped onto it."""

from __future__ import annotations

from typing import Final

import httpx

from monitor.feeds.http_hints import http_date, parse_retry_after
from monitor.observability import redact_url

FETCH_ERROR_KINDS: Final = frozenset(
    {"timeout", "connect", "too_large", "redirect", "http_status", "protocol", "private_address"}
)
_RETRY_AFTER_STATUSES: Final = frozenset({429, 503})
_MAX_MESSAGE_CHARS: Final = 300


def safe_message(text: str) -> str:
    return redact_url(text)[:_MAX_MESSAGE_CHARS]


class FetchError(Exception):
    """A fetch that failed; ``kind`` says how, ``status``/``retry_after`` when the server said.
    ``slow``: it was still in flight after its host's ``slow_after`` (set by the fetcher)."""

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
        super().__init__(safe_message(message))
        self.kind = kind
        self.message = safe_message(message)
        self.status = status
        self.retry_after = retry_after
        self.slow = False

    def __repr__(self) -> str:
        return f"FetchError(kind={self.kind!r}, message={self.message!r}, status={self.status!r})"


def status_error(response: httpx.Response) -> FetchError:
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


def translate(exc: httpx.HTTPError) -> FetchError:
    """Map an httpx failure onto our small set of kinds, keeping only a safe summary."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return FetchError("timeout", detail)
    if isinstance(exc, httpx.NetworkError | httpx.ProxyError):
        return FetchError("connect", detail)
    return FetchError("protocol", detail)
