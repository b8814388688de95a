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


SURGE_RULE = "surge"  # the rule every surge alert is filed under, "surge:<kind>:<key>"
SURGE_ALERT = "su_"  # a surge alert's id: this prefix and the surge's id


def surge_rule(kind: str, key: str) -> str:
    """The rule a surge alert carries: ``surge:name:kyiv``; silences may name any prefix
    of it that ends at a colon (``surge``, ``surge:name``)."""
    return f"{SURGE_RULE}:{kind}:{key}"


def rule_covers(silenced: str, rule: str) -> bool:
    """Whether a silence's rule covers an alert's: "" covers every rule, a name its own
    rule, and ``surge`` or ``surge:<kind>`` every surge alert below it."""
    if not silenced or silenced == rule:
        return True
    return rule.startswith(SURGE_RULE + ":") and rule.startswith(silenced + ":")
