"""Secrets out of every log line: the structlog side of wirewatch's one redaction.

The redaction itself (:class:`Redactor`, :func:`redact_url`, :func:`url_secrets`) lives in
:mod:`notifiers.redaction`, which the notifiers use as well (they may not import
``monitor``); this package re-exports it. Logs (:mod:`monitor.observability.logs`),
dispatch's stored errors, feed names and errors, pages, ``wirewatch notify test`` and the
PostgreSQL store's driver errors all go through it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Final

from notifiers import Redactor, redact_url, url_secrets

__all__ = ["URL_KEYS", "Redactor", "redact_log_urls", "redact_url", "url_secrets"]

# Log keys that carry URLs (feeds may be configured as https://user:secret@host/feed).
URL_KEYS: Final = frozenset({"feed_url", "url", "final_url", "moved_to", "hub", "topic"})


def redact_log_urls(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: URL-valued keys without their credentials."""
    for key in URL_KEYS & event_dict.keys():
        value = event_dict[key]
        if isinstance(value, str):
            event_dict[key] = redact_url(value)
    return event_dict
