"""What the surge detector reads (a :class:`Sighting` per stored article) and what it
tells (a fired :class:`Surge`, or a :class:`Rising` key that has not fired yet)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

MAX_TOP = 5  # stories and outlets a surge names as its evidence


class SurgeKind(StrEnum):
    """What surged: one story's outlets, one rule's matches, or one name's mentions."""

    STORY = "story"
    RULE = "rule"
    NAME = "name"


# The kinds as module globals for the counting paths: an enum member read from its class
# costs a descriptor call (~0.1 µs on Python 3.11), a global a few nanoseconds.
STORY, RULE, NAME = SurgeKind.STORY, SurgeKind.RULE, SurgeKind.NAME


@dataclass(slots=True)
class Sighting:
    """What the detector learns from one stored article (not frozen: one is built per
    stored article, and a frozen dataclass's ``__init__`` costs three times as much;
    nothing holds one after ``observe``).

    ``outlet`` is the independent outlet (``StoryFacts.outlet``: syndicated copies of one
    wire text share "wire:<agency>"); ``names`` pairs each name's folded key with how it
    was written, for display; ``rules`` are the rules the article's story matched."""

    at: datetime
    story_id: str
    outlet: str
    title: str
    rules: tuple[str, ...] = ()
    names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Surge:
    """A key reported far more than its baseline in ``[window_start, window_end]``.

    ``count``: (story, outlet) pairs in the window, so a wire text's copies count once;
    ``expected``: the baseline's mean for that window; ``score``: -log10 of the chance of
    at least ``count`` under the baseline; ``top_stories``: (story_id, title, outlets)."""

    surge_id: str
    kind: SurgeKind
    key: str
    label: str
    window_start: datetime
    window_end: datetime
    fired_at: datetime
    count: int
    expected: float
    outlets: int
    score: float
    top_stories: tuple[tuple[str, str, int], ...] = ()
    top_outlets: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        """The top stories and outlets as JSON-ready values (what the store keeps)."""
        stories = [[story_id, title, outlets] for story_id, title, outlets in self.top_stories]
        return {"top_stories": stories, "top_outlets": list(self.top_outlets)}


@dataclass(frozen=True, slots=True)
class Rising:
    """A key above its baseline now that has not fired (``wirewatch surges``).

    ``folded_into``: (story_id, title) of the story holding more than half of a rule's
    or name's reports while story surges are on: such a key would not fire itself, its
    story's surge would carry it (decision 0050), so it is shown folded into it."""

    kind: SurgeKind
    key: str
    label: str
    count: int
    expected: float
    score: float
    folded_into: tuple[str, str] | None = None


def surge_id(kind: SurgeKind, key: str, window_start: datetime) -> str:
    """Stable across processes and restarts: the same surge gets the same id."""
    stamp = window_start.astimezone(UTC).isoformat()
    digest = hashlib.sha256(f"{kind.value}\x1f{key}\x1f{stamp}".encode())
    return digest.hexdigest()[:20]


def surge_from_evidence(fields: dict[str, Any], evidence: dict[str, Any]) -> Surge:
    """A surge from its stored columns (``fields``) and its evidence JSON."""
    stories = tuple(
        (str(story_id), str(title), int(outlets))
        for story_id, title, outlets in evidence.get("top_stories", ())
    )
    outlets = tuple(str(outlet) for outlet in evidence.get("top_outlets", ()))
    columns = {name: value for name, value in fields.items() if name != "kind"}  # caller's kept
    kind = SurgeKind(fields["kind"])
    return Surge(kind=kind, top_stories=stories, top_outlets=outlets, **columns)


# How far before its fetch an article's own date is believed (a backlog after downtime);
# older dates, as hostile or wrong ones, count as this old.
BACKLOG_LIMIT = timedelta(days=2)


def sighted_at(published: datetime | None, fetched_at: datetime) -> datetime:
    """When an article counts: its own date, never after its fetch (a poll's entries all
    share the fetch time, so a backlog after downtime would all count at once) and never
    more than ``BACKLOG_LIMIT`` before it."""
    if published is None or published.tzinfo is None:
        return fetched_at
    return max(min(published, fetched_at), fetched_at - BACKLOG_LIMIT)
