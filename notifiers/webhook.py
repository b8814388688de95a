"""Generic JSON webhook notifier, optionally HMAC-signed.

Request::

    POST <url>
    Content-Type: application/json
    Idempotency-Key: <alert_id or batch_id>  (stable across retries and restarts)
    X-Wirewatch-Timestamp: <unix seconds>     (only when ``secret`` is set)
    X-Wirewatch-Signature: sha256=<hex>       (HMAC-SHA256 of "<timestamp>.<raw body>")

The body follows :data:`PAYLOAD_SCHEMA` (``version`` 2, ``schema_version`` "2.3") for
one alert (``event`` is ``"new"``, or ``"update"`` for a later alert about the same
``story_id`` and ``rule``, with ``change`` and ``reason`` saying what changed; a surge
alert is ``"new"`` with its evidence in ``surge``, null otherwise), or
:data:`BATCH_SCHEMA` for a route's group or digest (``event`` is ``"group"`` or
``"digest"``, ``alerts`` holds the alert documents). Text fields (the excerpt's too)
are verbatim feed text, i.e. untrusted: receivers must escape them for wherever they display them.
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
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from pydantic import Field, SecretStr, field_validator

from notifiers import _http
from notifiers._text import safe_link, valid_marks
from notifiers._urls import check_endpoint
from notifiers.base import Alert, Batch, NotifierConfig, NotifierPlugin, Sent

if TYPE_CHECKING:
    import httpx

_STRING: Final = {"type": "string"}
_TIMESTAMP: Final = {"type": "string", "format": "date-time"}

# ``version`` changes only when a field is removed or changes meaning; ``schema_version``
# ("MAJOR.MINOR") also when fields are added, which a version 2 reader may ignore.
SCHEMA_VERSION: Final = "2.4"
_SCHEMA_VERSION: Final = {
    "const": SCHEMA_VERSION,
    "description": "MAJOR.MINOR: the minor grows when fields are added"
    " (2.1: excerpt, 2.2: language, 2.3: surge, 2.4: feedback_url)",
}
_MARK: Final = {"type": "integer", "minimum": 0}
_EXCERPT: Final[dict[str, Any]] = {
    "type": "object",
    "description": "the article around the matched terms; empty text when there is none",
    "additionalProperties": False,
    "required": ["text", "marks"],
    "properties": {
        "text": _STRING,
        "marks": {
            "type": "array",
            "description": "[start, end) of each matched term in text, in Unicode code points",
            "items": {"type": "array", "prefixItems": [_MARK, _MARK], "minItems": 2, "maxItems": 2},
        },
    },
}

_COUNT: Final = {"type": "integer", "minimum": 0}
_SURGE_FIELDS: Final = (
    "kind", "key", "label", "count", "expected", "outlets", "score", "window_start",
    "window_end", "top_stories", "top_outlets",
)  # fmt: skip
_SURGE: Final[dict[str, Any]] = {
    "description": 'a surge alert\'s evidence (rule "surge:<kind>:<key>"; title, link and'
    " story_id are its top story's); null for a rule's alert",
    "anyOf": [
        {"type": "null"},
        {
            "type": "object",
            "additionalProperties": False,
            "required": list(_SURGE_FIELDS),
            "properties": {
                "kind": {"enum": ["story", "rule", "name"]},
                "key": {"type": "string", "description": "what surged: story id, rule, name"},
                "label": {"type": "string", "description": "how it reads (feed text)"},
                "count": {**_COUNT, "description": "reports in the window, copies once"},
                "expected": {"type": "number", "minimum": 0, "description": "the baseline's"},
                "outlets": {**_COUNT, "description": "independent outlets in the window"},
                "score": {"type": "number", "description": "-log10 of the baseline's chance"},
                "window_start": _TIMESTAMP,
                "window_end": _TIMESTAMP,
                "top_stories": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["story_id", "title", "outlets"],
                        "properties": {"story_id": _STRING, "title": _STRING, "outlets": _COUNT},
                    },
                },
                "top_outlets": {"type": "array", "items": _STRING},
            },
        },
    ],
}

_PROPERTIES: Final[dict[str, Any]] = {
    "version": {"const": 2},
    "schema_version": _SCHEMA_VERSION,
    "event": {"enum": ["new", "update"]},
    "alert_id": {"type": "string", "description": "stable id; same as Idempotency-Key"},
    "story_id": _STRING,
    "rule": _STRING,
    "severity": {"enum": ["low", "medium", "high", "critical"]},
    "change": {"type": "string", "description": 'update only: e.g. "outlets>=3", else ""'},
    "reason": {"type": "string", "description": "update only: what changed, in words"},
    "title": _STRING,
    "link": {"type": "string", "description": "http(s) URL, or empty if the feed's was not"},
    "summary": _STRING,
    "excerpt": _EXCERPT,
    "feed": _STRING,
    "published": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
    "first_seen": _TIMESTAMP,
    "matched_terms": {"type": "array", "items": _STRING},
    "outlets": {"type": "integer", "minimum": 1},
    "language": {
        "type": "string",
        "description": 'the article\'s language code ("ar", "ckb"); "" when it could not be told',
    },
    "surge": _SURGE,
    "feedback_url": {
        "type": "string",
        "description": 'a signed link where a reader judges the alert; "" when not made',
    },
}
PAYLOAD_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": f"wirewatch webhook payload, version {SCHEMA_VERSION}",
    "type": "object",
    "additionalProperties": False,
    "required": list(_PROPERTIES),
    "properties": _PROPERTIES,
}
_ALERT_ITEM: Final[dict[str, Any]] = {
    key: value for key, value in PAYLOAD_SCHEMA.items() if key not in ("$schema", "title")
}
BATCH_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": f"wirewatch webhook batch payload (group or digest), version {SCHEMA_VERSION}",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "schema_version", "event", "batch_id", "alerts"],
    "properties": {
        "version": {"const": 2},
        "schema_version": _SCHEMA_VERSION,
        "event": {"enum": ["group", "digest"]},
        "batch_id": {"type": "string", "description": "stable id; same as Idempotency-Key"},
        "alerts": {"type": "array", "minItems": 1, "items": _ALERT_ITEM},
    },
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


def _excerpt(alert: Alert) -> dict[str, Any]:
    """The excerpt verbatim, with the marks that fit it (a plugin may have built the alert)."""
    marks = valid_marks(alert.excerpt, alert.excerpt_marks)
    return {"text": alert.excerpt, "marks": [list(mark) for mark in marks]}


def _surge(alert: Alert) -> dict[str, Any] | None:
    surge = alert.surge
    if surge is None:
        return None
    stories = [
        {"story_id": story.story_id, "title": story.title, "outlets": story.outlets}
        for story in surge.top_stories
    ]
    return {
        "kind": surge.kind,
        "key": surge.key,
        "label": surge.label,
        "count": surge.count,
        "expected": surge.expected,
        "outlets": surge.outlets,
        "score": surge.score,
        "window_start": surge.window_start.isoformat(),
        "window_end": surge.window_end.isoformat(),
        "top_stories": stories,
        "top_outlets": list(surge.top_outlets),
    }


def build_payload(alert: Alert) -> dict[str, Any]:
    """The JSON document described by :data:`PAYLOAD_SCHEMA`."""
    return {
        "version": 2,
        "schema_version": SCHEMA_VERSION,
        "event": "update" if alert.is_update else "new",
        "alert_id": alert.alert_id,
        "story_id": alert.story_id,
        "rule": alert.rule,
        "severity": alert.severity,
        "change": alert.change,
        "reason": alert.reason,
        "title": alert.title,
        "link": safe_link(alert.link) or "",
        "summary": alert.summary,
        "excerpt": _excerpt(alert),
        "feed": alert.feed,
        "published": _iso(alert.published),
        "first_seen": _iso(alert.first_seen),
        "matched_terms": list(alert.matched_terms),
        "outlets": alert.outlets,
        "language": alert.language,
        "surge": _surge(alert),
        "feedback_url": safe_link(alert.feedback_url) or "",
    }


def build_batch_payload(batch: Batch) -> dict[str, Any]:
    """The JSON document described by :data:`BATCH_SCHEMA`."""
    return {
        "version": 2,
        "schema_version": SCHEMA_VERSION,
        "event": batch.kind,
        "batch_id": batch.batch_id,
        "alerts": [build_payload(alert) for alert in batch.alerts],
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

    def _headers(self, key: str, body: bytes) -> dict[str, str]:
        headers = {name: value.get_secret_value() for name, value in self.config.headers.items()}
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = key
        if self.config.secret is not None:
            timestamp = str(int(time.time()))
            headers["X-Wirewatch-Timestamp"] = timestamp
            headers["X-Wirewatch-Signature"] = sign(
                self.config.secret.get_secret_value(), timestamp, body
            )
        return headers

    async def send(self, alert: Alert) -> Sent | None:
        """Post ``alert``; raise a classified :class:`NotifyError` on failure."""
        await self._post(alert.alert_id, build_payload(alert))
        return None

    async def send_batch(self, batch: Batch) -> Sent | None:
        """Post a group or digest as one document."""
        await self._post(batch.batch_id, build_batch_payload(batch))
        return None

    async def _post(self, key: str, payload: dict[str, Any]) -> None:
        # ensure_ascii: lone surrogates from broken feeds cannot make encoding fail.
        body = json.dumps(payload, ensure_ascii=True).encode("ascii")
        await _http.post(
            self._http,
            self.config.url.get_secret_value(),
            service=f"webhook {self.name!r}",
            content=body,
            headers=self._headers(key, body),
            request_timeout=self.config.timeout,
            secrets=self.config.secret_values(),
        )
