"""What response headers say besides the body: when to come back, and where else to look.

``Retry-After`` (429/503), the cache lifetime (``Cache-Control: max-age`` / ``Expires``)
and ``Link`` relations (WebSub ``hub`` and ``self``). Header values are attacker-controlled:
anything unparsable is None, never an exception.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Final

import httpx

_MAX_URL_CHARS: Final = 2048


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


def cache_lifetime(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the response stays fresh: ``Cache-Control: max-age`` (less ``Age``), else
    ``Expires`` relative to ``Date``; None when the server says nothing usable."""
    directives = {
        name.strip().lower(): value.strip().strip('"')
        for name, _, value in (
            part.partition("=") for part in headers.get("cache-control", "").split(",")
        )
    }
    if "no-store" in directives or "no-cache" in directives:
        return None
    max_age = directives.get("max-age", "")
    if max_age.isdigit() and len(max_age) < 12:
        age = headers.get("age", "0").strip()
        return max(0.0, float(max_age) - (float(age) if age.isdigit() and len(age) < 12 else 0.0))
    return _expires_in(headers, now)


def _expires_in(headers: httpx.Headers, now: datetime | None) -> float | None:
    expires = http_date(headers.get("expires"))
    if expires is None:
        return None
    reference = http_date(headers.get("date")) or now or datetime.now(UTC)
    return max(0.0, (expires - reference).total_seconds())


def http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def link_header(response: httpx.Response, rel: str) -> str | None:
    """An absolute http(s) URL from the response's ``Link`` header, for WebSub discovery."""
    try:
        href = response.links.get(rel, {}).get("url")
        url = response.url.join(href) if href else None
    except (httpx.InvalidURL, ValueError):
        return None
    if url is None or url.scheme not in ("http", "https") or len(str(url)) > _MAX_URL_CHARS:
        return None
    return str(url)
