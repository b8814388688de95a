"""Silences: "send nothing for this rule (story, notifier) until then, because …".

A silence is checked when a delivery is due, not when the alert is raised: a
delivery that comes due while a silence covers it is marked ``silenced`` and never
sent (the alert itself stays in the store and in ``wirewatch alerts``); one that
comes due after the silence expired goes out as usual. Empty fields match anything.
"""

from __future__ import annotations

import re
from datetime import timedelta

from monitor.records import Silence

_DURATION = re.compile(r"(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?")
MAX_SILENCE = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """``"2h"``, ``"90m"``, ``"1d12h"``, ``"45s"`` as a timedelta; ValueError otherwise."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None or not any(found.groups()):
        raise ValueError(f"{text!r} is not a duration such as 30m, 2h or 1d12h")
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(0) < duration <= MAX_SILENCE:
        raise ValueError("a silence lasts more than 0 seconds and at most 366 days")
    return duration


def covering(silences: list[Silence], rule: str, story_id: str, notifier: str) -> Silence | None:
    """The first of ``silences`` that covers this delivery."""
    return next((s for s in silences if s.covers(rule, story_id, notifier)), None)
