"""Credentials out of URLs before they reach a log line or an error message."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any, Final

_USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")
# Log keys that carry URLs (feeds may be configured as https://user:secret@host/feed).
URL_KEYS: Final = frozenset({"feed_url", "url", "final_url", "moved_to", "hub", "topic"})


def redact_url(url: str) -> str:
    """``url`` (or any text) with every ``user:password@`` removed."""
    return _USERINFO.sub(r"\1", url)


def redact_log_urls(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: URL-valued keys without their credentials."""
    for key in URL_KEYS & event_dict.keys():
        value = event_dict[key]
        if isinstance(value, str):
            event_dict[key] = redact_url(value)
    return event_dict
