"""Cursor paging and times as the API writes them.

A list answers ``{"items": [...], "next_cursor": ...}``; ``next_cursor`` is null on the
last page, else passed back as ``?cursor=`` for the next one. A cursor is opaque to
clients: base64url (no padding) of a JSON array holding the sort key of the page's last
row, ``[time, id]``. Paging is by keyset, so a page costs the same however deep it is,
and items stored meanwhile neither repeat nor vanish (decision 0053). A cursor works
with the same filters it was made with; a malformed one is a 400 problem.

Times are ISO 8601 in UTC (``2026-03-01T06:00:00Z``) on the way out; on the way in any
ISO 8601 time is read, a zone-less one as UTC.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

from monitor.api.problems import ApiError, InvalidParam
from monitor.store import Keyset

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")


_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})?"
)


def _read_time(value: object) -> object:
    """An ISO 8601 date and time as text (not a number, not a date alone)."""
    if isinstance(value, str):
        if not _DATE_TIME.fullmatch(value.strip()):
            raise ValueError("not an ISO 8601 date and time, e.g. 2026-03-01T06:00:00Z")
        return datetime.fromisoformat(value.strip().replace("z", "Z"))
    if isinstance(value, datetime):
        return value
    raise ValueError("not an ISO 8601 date and time, e.g. 2026-03-01T06:00:00Z")


# A time field of the API: read in any zone (none: UTC), written in UTC with a "Z".
UtcTime = Annotated[
    datetime,
    BeforeValidator(_read_time),
    AfterValidator(utc),
    PlainSerializer(iso, return_type=str, when_used="json"),
]


def encode_cursor(key: Keyset) -> str:
    text = json.dumps([iso(key[0]), key[1]], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Keyset:
    """The keyset a cursor holds; a 400 problem naming ``cursor`` when it holds none."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, key = json.loads(raw)
        if not isinstance(moment, str) or not isinstance(key, str):
            raise TypeError
        return utc(datetime.fromisoformat(moment)), key
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        reason = "not a cursor this API gave out"
        raise ApiError(400, "invalid-parameter", "invalid cursor",
                         errors=[InvalidParam(name="cursor", reason=reason)]) from None  # fmt: skip


def next_cursor(rows: Sequence[T], limit: int, key: Callable[[T], Keyset]) -> str | None:
    """The cursor after ``rows`` (asked for ``limit + 1``: one more tells whether another
    page exists), None when this is the last page."""
    if len(rows) <= limit:
        return None
    return encode_cursor(key(rows[limit - 1]))
