"""Secrets out of every text before it reaches a log line, an error message or a page.

The one place wirewatch redacts: :func:`redact_url` drops a URL's ``user:password@``;
:class:`Redactor` replaces the configured secrets (notifier URLs, tokens, passwords)
wherever they appear. Logs (:mod:`monitor.observability.logs`), dispatch's stored errors,
``wirewatch notify test`` and the PostgreSQL store's driver errors all use these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from typing import Any, Final

_USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")
REDACTED: Final = "[redacted]"
MIN_SECRET: Final = 4  # shorter strings would blank ordinary words
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


class Redactor:
    """Replaces every given secret in a text by ``marker``."""

    __slots__ = ("_marker", "_secrets")

    def __init__(
        self, secrets: Iterable[str], marker: str = REDACTED, *, min_length: int = MIN_SECRET
    ) -> None:
        # Longest first, so a secret containing another is removed whole.
        unique = {secret for secret in secrets if len(secret) >= min_length}
        self._secrets = sorted(unique, key=len, reverse=True)
        self._marker = marker

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, self._marker)
        return text
