"""Generic JSON webhook notifier, optionally HMAC-signed.

Request::

    POST <url>
    Content-Type: application/json
    Idempotency-Key: <alert_id>              (stable across retries and restarts)
    X-Wirewatch-Timestamp: <unix seconds>     (only when ``secret`` is set)
    X-Wirewatch-Signature: sha256=<hex>       (HMAC-SHA256 of "<timestamp>.<raw body>")

The body follows :data:`PAYLOAD_SCHEMA`. Text fields are verbatim feed text,
i.e. untrusted: receivers must escape them for wherever they display them.
A receiver verifies a signature by recomputing the HMAC over the timestamp
header, a ``.`` and the exact body bytes, comparing in constant time, and
rejecting stale timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import datetime
from typing import Any, ClassVar, Final, Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from notifiers import _http
from notifiers._text import safe_link
from notifiers._urls import check_endpoint
from notifiers.base import Alert, NotifierConfig, NotifierPlugin

_STRING: Final = {"type": "string"}
_TIMESTAMP: Final = {"type": "string", "format": "date-time"}

_PROPERTIES: Final[dict[str, Any]] = {
    "version": {"const": 1},
    "event": {"type": "string", "description": '"new" or a later event such as "update"'},
    "alert_id": {"type": "string", "description": "stable id; same as Idempotency-Key"},
    "story_id": _STRING,
    "rule": _STRING,
    "severity": {"enum": ["low", "medium", "high", "critical"]},
    "title": _STRING,
    "link": {"type": "string", "description": "http(s) URL, or empty if the feed's was not"},
    "summary": _STRING,
    "feed": _STRING,
    "published": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
    "first_seen": _TIMESTAMP,
    "matched_terms": {"type": "array", "items": _STRING},
    "outlets": {"type": "integer", "minimum": 1},
}
PAYLOAD_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "wirewatch webhook payload, version 1",
    "type": "object",
    "additionalProperties": False,
    "required": list(_PROPERTIES),
    "properties": _PROPERTIES,
}

# RFC 9110 token characters; anything else could split or smuggle headers.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]{0,4096}")
_RESERVED_HEADERS = frozenset(
    {
        "content-length",
        "content-type",
        "host",
        "idempotency-key",
        "transfer-encoding",
        "x-wirewatch-signature",
        "x-wirewatch-timestamp",
    }
)


class WebhookConfig(NotifierConfig):
    """``[notifiers.<name>]`` with ``type = "webhook"``.

    Header values are ``SecretStr`` because they usually carry credentials
    (``Authorization = "Bearer ..."``).
    """

    type: Literal["webhook"] = "webhook"
    url: SecretStr
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout: float = Field(10.0, gt=0, le=120)
    secret: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr) -> SecretStr:
        return check_endpoint(value, https_only=False)

    @field_validator("headers")
    @classmethod
    def _safe_headers(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, header in value.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP token")
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set by wirewatch and cannot be overridden")
            if not _HEADER_VALUE.fullmatch(header.get_secret_value()):
                raise ValueError(f"header {name!r} value must be printable ASCII without CR/LF")
        return value

    def secret_values(self) -> list[str]:
        """Top-level secrets plus every header value."""
        values = [header.get_secret_value() for header in self.headers.values()]
        return super().secret_values() + [value for value in values if value]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def build_payload(alert: Alert) -> dict[str, Any]:
    """The JSON document described by :data:`PAYLOAD_SCHEMA`."""
    return {
        "version": 1,
        "event": alert.event,
        "alert_id": alert.alert_id,
        "story_id": alert.story_id,
        "rule": alert.rule,
        "severity": alert.severity,
        "title": alert.title,
        "link": safe_link(alert.link) or "",
        "summary": alert.summary,
        "feed": alert.feed,
        "published": _iso(alert.published),
        "first_seen": _iso(alert.first_seen),
        "matched_terms": list(alert.matched_terms),
        "outlets": alert.outlets,
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``b"<timestamp>." + body``, as sent in X-Wirewatch-Signature."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class WebhookNotifier(NotifierPlugin):
    """Posts one JSON document per alert to a configured URL."""

    type_name: ClassVar[str] = "webhook"
    Config: ClassVar[type[NotifierConfig]] = WebhookConfig

    def __init__(self, name: str, config: WebhookConfig, *, http: httpx.AsyncClient) -> None:
        super().__init__(name, config, http=http)
        self.config = config
        self._http = http

    def _headers(self, alert: Alert, body: bytes) -> dict[str, str]:
        headers = {name: value.get_secret_value() for name, value in self.config.headers.items()}
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = alert.alert_id
        if self.config.secret is not None:
            timestamp = str(int(time.time()))
            headers["X-Wirewatch-Timestamp"] = timestamp
            headers["X-Wirewatch-Signature"] = sign(
                self.config.secret.get_secret_value(), timestamp, body
            )
        return headers

    async def send(self, alert: Alert) -> None:
        """Post ``alert``; raise a classified :class:`NotifyError` on failure."""
        # ensure_ascii: lone surrogates from broken feeds cannot make encoding fail.
        body = json.dumps(build_payload(alert), ensure_ascii=True).encode("ascii")
        await _http.post(
            self._http,
            self.config.url.get_secret_value(),
            service=f"webhook {self.name!r}",
            content=body,
            headers=self._headers(alert, body),
            request_timeout=self.config.timeout,
            secrets=self.config.secret_values(),
        )
