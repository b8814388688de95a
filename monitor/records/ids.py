"""Stable ids derived from content: the same article or alert gets the same id in every process."""

from __future__ import annotations

import hashlib


def digest(*parts: str) -> str:
    """SHA-256 of the parts joined by newlines, as hex (lone surrogates kept, not refused)."""
    joined = "\n".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()


def article_id(feed_url: str, guid: str) -> str:
    """A stable short id for an entry of a feed: ``a_`` and 20 hex digits of SHA-256."""
    return "a_" + digest(feed_url, guid)[:20]


def alert_id_for(story_id: str, rule: str, event: str) -> str:
    """Stable per (story, rule, event): the idempotency key receivers see."""
    hashed = hashlib.sha256(f"{story_id}\x00{rule}\x00{event}".encode()).hexdigest()
    return "al_" + hashed[:24]
