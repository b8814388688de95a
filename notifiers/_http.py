"""POST a payload and classify the outcome the way every HTTP notifier needs.

    2xx                   → success
    429                   → retryable, ``retry_after`` from the Retry-After header
    5xx                   → retryable (Retry-After honoured when present)
    timeout / transport   → retryable
    anything else (4xx, 3xx: redirects are not followed) → not retryable

Messages name the service and the status only: the endpoint URL carries
credentials and must never appear in an error (``raise ... from None`` keeps
httpx's own exception, which may quote the URL, out of the traceback too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from notifiers._text import single_line
from notifiers.base import NotifyError
from notifiers.redaction import Redactor

if TYPE_CHECKING:
    import httpx

_DELAY_SECONDS = re.compile(r"\d{1,10}(?:\.\d{1,6})?")
_BODY_SNIPPET_CHARS = 100


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP-date), else None."""
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def post(
    http: httpx.AsyncClient,
    url: str,
    *,
    service: str,
    content: bytes,
    headers: Mapping[str, str],
    request_timeout: float,
    secrets: list[str],
) -> httpx.Response:
    """POST ``content`` to ``url``; raise :class:`NotifyError` unless the answer is 2xx."""
    import httpx  # noqa: PLC0415  (imported at the first send: a config is checked without it)

    try:
        response = await http.post(
            url, content=content, headers=dict(headers), timeout=request_timeout
        )
    except httpx.TimeoutException:
        raise NotifyError(f"{service} timed out", retryable=True) from None
    except httpx.TransportError as exc:
        message = f"{service} request failed ({type(exc).__name__})"
        raise NotifyError(message, retryable=True) from None
    raise_for_status(response, service=service, secrets=[*secrets, *_url_secrets(url)])
    return response


def _url_secrets(url: str) -> list[str]:
    """Parts of an endpoint URL a server might echo alone: tokens live in path and query."""
    parts = urlsplit(url)
    return [part for part in (parts.path, parts.query, parts.password) if part and part != "/"]


def raise_for_status(response: httpx.Response, *, service: str, secrets: list[str]) -> None:
    """Raise a classified :class:`NotifyError` for any non-2xx ``response``."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"{service} returned {status}{_body_hint(response, secrets)}"
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise NotifyError(message, retryable=True, retry_after=retry_after)
    raise NotifyError(message, retryable=False)


def _body_hint(response: httpx.Response, secrets: list[str]) -> str:
    """A short, cleaned excerpt of the answer (Slack says e.g. ``invalid_blocks``), with
    every secret masked however short: an endpoint's path is one, and may be brief."""
    text = single_line(Redactor(secrets, min_length=1)(response.text), _BODY_SNIPPET_CHARS)
    return f": {text}" if text else ""
