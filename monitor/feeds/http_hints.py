"""What response headers say besides the body: when to come back, where else to look,
and what the body is.

``Retry-After`` (429/503), the cache lifetime (``Cache-Control: max-age`` / ``Expires``),
``Link`` relations (WebSub ``hub`` and ``self``) and the ``Content-Type``'s media type.
Header values are attacker-controlled: anything unparsable is None (an empty media
type), never an exception.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urljoin

Headers = Mapping[str, str]  # case-insensitive in practice (httpx.Headers)

_MAX_URL_CHARS: Final = 2048
_MAX_LINK_CHARS: Final = 8192
_LINK: Final = re.compile(r"<([^>]*)>([^,<]*)")
_REL: Final = re.compile(r"""(?i)(?:^|;)\s*rel\s*=\s*("[^"]*"|[^;\s]*)""")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def cache_lifetime(headers: Headers, now: datetime | None = None) -> float | None:
    """Seconds the response stays fresh: ``Cache-Control: max-age`` (less ``Age``), else
    ``Expires`` relative to ``Date``; None when the server says nothing usable."""
    directives = {
        name.strip().lower(): value.strip().strip('"')
        for name, _, value in (
            part.partition("=") for part in headers.get("Cache-Control", "").split(",")
        )
    }
    if "no-store" in directives or "no-cache" in directives:
        return None
    max_age = _seconds(directives.get("max-age", ""))
    if max_age is not None:
        return max(0.0, max_age - (_seconds(headers.get("Age", "0").strip()) or 0.0))
    return _expires_in(headers, now)


def _seconds(text: str) -> float | None:
    # isdigit alone accepts "²", which float() refuses.
    return float(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def _expires_in(headers: Headers, now: datetime | None) -> float | None:
    expires = http_date(headers.get("Expires"))
    if expires is None:
        return None
    reference = http_date(headers.get("Date")) or now or datetime.now(UTC)
    return max(0.0, (expires - reference).total_seconds())


def http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def link_header(headers: Headers, rel: str, base: str) -> str | None:
    """The first absolute http(s) URL with relation ``rel`` in the ``Link`` headers."""
    get_list = getattr(headers, "get_list", None)  # httpx.Headers: one value per header line
    values = get_list("Link") if get_list else [headers.get("Link", "")]
    for value in values:
        for target, params in _LINK.findall(value[:_MAX_LINK_CHARS]):
            relations = _REL.search(params)
            if relations and rel in relations.group(1).strip('"').lower().split():
                return _absolute_http(target.strip(), base)
    return None


def _absolute_http(target: str, base: str) -> str | None:
    try:
        url = urljoin(base, target)
    except ValueError:
        return None
    if not url.startswith(("http://", "https://")) or len(url) > _MAX_URL_CHARS:
        return None
    return url


def media_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` value, lower-cased, without its parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()
