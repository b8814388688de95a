"""The detector's memory as bytes and back: versioned JSON, compressed, deterministic.

Times are seconds since the epoch (UTC), as the detector keeps them. A snapshot of
version 2 is read with no hour open in the profile (its hours were learned as they
went); one of version 2 or 3 has each story held by its first report alone turned into
that story's first outlet (``convert_lone_stories``); one of another version, or one
that does not decode, raises :class:`SurgeStateError`: the caller starts afresh and
says so.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import deque
from typing import Any

from monitor.surges.memory import Memory, StoryLife
from monitor.surges.model import SurgeKind
from monitor.surges.profile import NO_HOUR, HourOfWeek
from monitor.surges.stats import HOURS_A_WEEK
from monitor.surges.tracks import FirstReport, Track, Tracked

# 1: times as datetimes (never released); 2: the profile learned each article at once;
# 3: the profile learns an hour when it is over (its open hour is saved); 4: a story
# with one outlet has no track, its life keeps that outlet (docs/decisions/0094)
VERSION = 4
READABLE = frozenset({2, 3, VERSION})
_MAGIC = b"wwsurge"


class SurgeStateError(ValueError):
    """A saved detector state this version cannot read."""


def dump_memory(memory: Memory) -> bytes:
    return encode_state(memory_document(memory))


def memory_document(memory: Memory) -> dict[str, Any]:
    """``memory`` as plain data sharing nothing mutable with it, so it can be encoded
    (``encode_state``) off the event loop while the detector goes on counting."""
    return {
        "version": VERSION,
        "started": memory.started,
        "clock": memory.clock,
        "exposure": memory.exposure,
        "profile": _profile(memory.profile),
        "stories_seen": list(memory.stories_seen),
        "stories_seen_at": memory.stories_seen_at,
        "tracks": {kind.value: _tracks(memory.tracks[kind]) for kind in SurgeKind},
        "lives": [_life(story_id, memory.lives[story_id]) for story_id in memory.opened],
        "unsampled": list(memory.unsampled),
    }


def encode_state(document: dict[str, Any]) -> bytes:
    """A ``memory_document`` as the bytes saved: the costly part (JSON and zlib)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return _MAGIC + zlib.compress(text.encode(), 6)


def load_memory(state: bytes) -> Memory:
    if not state.startswith(_MAGIC):
        raise SurgeStateError("not a surge detector state")
    try:
        document = json.loads(zlib.decompress(state[len(_MAGIC) :]))
    except (zlib.error, ValueError) as err:
        raise SurgeStateError(f"unreadable surge detector state: {err}") from None
    if not isinstance(document, dict) or document.get("version") not in READABLE:
        raise SurgeStateError("surge detector state of another version")
    try:
        return _memory(document)
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise SurgeStateError(f"malformed surge detector state: {err!r}") from None


def _memory(document: dict[str, Any]) -> Memory:
    lives = {str(row[0]): _read_life(row) for row in document["lives"]}
    weight, total, squares = (float(value) for value in document["stories_seen"])
    memory = Memory(
        started=_maybe(document["started"]),
        clock=_maybe(document["clock"]),
        exposure=float(document["exposure"]),
        profile=_read_profile(document["profile"]),
        stories_seen=(weight, total, squares),
        stories_seen_at=_maybe(document["stories_seen_at"]),
        tracks={kind: _read_tracks(document["tracks"][kind.value]) for kind in SurgeKind},
        lives=lives,
        opened=deque(lives),
        unsampled=deque(story_id for story_id in document["unsampled"] if story_id in lives),
    )
    if document["version"] < 4:
        convert_lone_stories(memory)
    return memory


def convert_lone_stories(memory: Memory) -> None:
    """A story of an older state held by its first report alone (a lone report of the
    story, at its opening) is held by that report's outlet, as version 4 holds it: what
    it counts next is the same."""
    tracks, lives = memory.tracks[SurgeKind.STORY], memory.lives
    for story_id, track in list(tracks.items()):
        life = lives.get(story_id)
        report = track.report if isinstance(track, FirstReport) else None
        if life is None or report is None or life.sampled or life.outlet is not None:
            continue
        if report[:2] == (life.opened, story_id):
            life.outlet = report[2]
            del tracks[story_id]


def _profile(profile: HourOfWeek) -> dict[str, Any]:
    return {"counts": list(profile.counts), "hours": list(profile.hours),
            "scaled_at": profile.scaled_at, "scale": profile.scale,
            "open": [profile.open_hour, profile.open_articles, profile.open_hours]}  # fmt: skip


def _read_profile(raw: dict[str, Any]) -> HourOfWeek:
    counts, hours = [float(v) for v in raw["counts"]], [float(v) for v in raw["hours"]]
    if len(counts) != HOURS_A_WEEK or len(hours) != HOURS_A_WEEK:
        raise ValueError("an hour-of-week profile has 168 slots")
    hour, articles, observed = raw.get("open", (NO_HOUR, 0.0, 0.0))  # version 2: none
    return HourOfWeek(
        counts, hours, float(raw["scale"]), float(raw["scaled_at"]),
        int(hour), float(articles), float(observed),
    )  # fmt: skip


def _tracks(tracks: dict[str, Tracked]) -> list[list[Any]]:
    return [
        [key, track.label, track.baseline, track.baseline_at, track.cooled_until,
         [list(report) for report in track.reports], track.exposure_then, track.born]
        for key, track in tracks.items()
    ]  # fmt: skip


def _read_tracks(rows: list[list[Any]]) -> dict[str, Tracked]:
    """A key with one report or none comes back as a :class:`FirstReport`, as it was
    held: promoting it gives the :class:`Track` it would have been."""
    tracks: dict[str, Tracked] = {}
    for key, label, baseline, baseline_at, cooled_until, reports, *since in rows:
        exposure_then, born = (float(value) for value in since or (0.0, 0.0))
        fields = (str(label), float(baseline), float(baseline_at), float(cooled_until),
                  exposure_then, born)  # fmt: skip
        track = FirstReport(*fields) if len(reports) <= 1 else Track(*fields)
        for moment, story_id, outlet in reports:
            _add_report(track, (float(moment), str(story_id), str(outlet)))
        tracks[str(key)] = track
    return tracks


def _add_report(track: Tracked, report: tuple[float, str, str]) -> None:
    if isinstance(track, FirstReport):
        track.report = report
    else:
        track.add_report(report, report[1:], -math.inf, 0.0)


def _life(story_id: str, life: StoryLife) -> list[Any]:
    return [story_id, life.opened, life.title, life.first_outlets, life.sampled, life.outlet]


def _read_life(row: list[Any]) -> StoryLife:
    outlet = row[5] if len(row) > 5 else None  # before version 4: none
    life = StoryLife(float(row[1]), str(row[2]), int(row[3]), bool(row[4]))
    life.outlet = None if outlet is None else str(outlet)
    return life


def _maybe(value: Any) -> float | None:
    return None if value is None else float(value)
