"""One watched key: its reports inside the sliding window, and the forgotten-by-age count
of the reports that left the window (its baseline). Times are seconds since the epoch."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter

from monitor.surges.model import MAX_TOP, Surge, SurgeKind, surge_id

# (when, story_id, outlet): one independent report in the window
Report = tuple[float, str, str]
outlet_of = itemgetter(2)  # a report's outlet


@dataclass(slots=True)
class Baseline:
    """What every tracked key keeps besides its window: its label, the forgotten-by-age
    count of its reports that left the window, its cool-down, and when it was first seen."""

    label: str
    baseline: float = 0.0  # decayed count of reports that left the window
    baseline_at: float = 0.0  # when ``baseline`` was last decayed to
    cooled_until: float = 0.0  # no firing before this (after the last one)
    # The detector's exposure when this key began to be tracked, and when: a rule added
    # by reload or a name tracked anew is judged on the time since, not all the time.
    exposure_then: float = 0.0
    born: float = 0.0

    def remember(self, moment: float, now: float, forget: float) -> None:
        """Count a report from before the window straight into the baseline."""
        self.baseline = self.baseline_now(now, forget) + math.exp(forget * (moment - now))
        self.baseline_at = now

    def baseline_now(self, now: float, forget: float) -> float:
        if not self.baseline:
            return 0.0
        return self.baseline * math.exp(forget * (self.baseline_at - now))


@dataclass(slots=True)
class FirstReport(Baseline):
    """A key with at most one report in its window: most names are seen once and never
    again, so they hold one report, not a window's deque, set and counts. Its second
    report promotes it to a :class:`Track` (``promoted``) that holds what it would have
    held all along (docs/decisions/0060)."""

    report: Report | None = None

    @property
    def reports(self) -> tuple[Report, ...]:
        return () if self.report is None else (self.report,)

    @property
    def count(self) -> int:
        return 0 if self.report is None else 1

    def expire(self, start: float, forget: float) -> None:
        """``Track.expire`` for a window of one report, to the same bits."""
        report = self.report
        if report is None or report[0] >= start:
            return
        left = math.exp(forget * (report[0] - start))
        self.baseline = self.baseline_now(start, forget) + left
        self.baseline_at = start
        self.report = None

    def promoted(self) -> Track:
        track = Track(self.label, self.baseline, self.baseline_at, self.cooled_until,
                      self.exposure_then, self.born)  # fmt: skip
        if self.report is not None:
            _, story_id, outlet = self.report
            track.add_report(self.report, (story_id, outlet), -math.inf, 0.0)
        return track


@dataclass(slots=True)
class Track(Baseline):
    """A story, rule or name. A (story, outlet) pair counts once per window: a wire
    text's copies share one outlet key, so they add nothing."""

    reports: deque[Report] = field(default_factory=deque)
    # Outlets and stories are counted by a pass (in C: ``outlets``) when asked: only a
    # count past ``min_count`` asks, and keeping per-outlet counts as every report comes
    # and goes cost more than the passes.
    pairs: set[tuple[str, str]] = field(default_factory=set)
    # A rule's or name's count below which its test cannot fire until ``bound_until`` (the
    # end of the clock's hour when it was last tested): the detector's, not saved.
    fires_from: int = 0
    bound_until: float = -math.inf

    def add(
        self,
        moment: float,
        story_id: str,
        outlet: str,
        start: float = -math.inf,
        forget: float = 0.0,
    ) -> bool:
        """Count one report; False when its (story, outlet) is in the window already
        (``start``: the window's; reports before it are expired lazily, only when needed)."""
        return self.add_report((moment, story_id, outlet), (story_id, outlet), start, forget)

    def add_report(
        self, report: Report, pair: tuple[str, str], start: float, forget: float
    ) -> bool:
        """``add`` with the report and its (story, outlet) pair built by the caller: one
        sighting's keys share the two tuples instead of building two each."""
        pairs = self.pairs
        held = len(pairs)
        pairs.add(pair)  # one lookup when new (most reports)
        if len(pairs) == held:  # in the window already, unless it is leaving it now
            self.expire(start, forget)
            if pair in pairs:
                return False
            pairs.add(pair)
        self.reports.append(report)
        return True

    def expire(self, start: float, forget: float) -> None:
        """Move reports older than ``start`` from the window into the baseline (``forget``:
        the decay rate per second)."""
        reports = self.reports
        if not reports or reports[0][0] >= start:
            return
        left = 0.0  # the leaving reports' weights at ``start``
        pairs, exp = self.pairs, math.exp
        while reports and reports[0][0] < start:  # the hot loop: _drop inlined
            moment, story_id, outlet = reports.popleft()
            pairs.discard((story_id, outlet))
            left += exp(forget * (moment - start))
        self.baseline = self.baseline_now(start, forget) + left
        self.baseline_at = start

    @property
    def count(self) -> int:
        return len(self.reports)

    def outlets(self) -> int:
        """Distinct outlets in the window (a pass in C)."""
        return len(set(map(outlet_of, self.reports)))

    def by_story(self) -> dict[str, int]:
        """Reports in the window per story (a pass over them)."""
        counts: dict[str, int] = {}
        for _, story_id, _ in self.reports:
            counts[story_id] = counts.get(story_id, 0) + 1
        return counts

    def window_start(self) -> float:
        return self.reports[0][0]

    def top_outlets(self) -> tuple[str, ...]:
        """The outlets with the most reports in the window (ties by name)."""
        counts: dict[str, int] = {}
        for _, _, outlet in self.reports:
            counts[outlet] = counts.get(outlet, 0) + 1
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return tuple(outlet for outlet, _ in ranked[:MAX_TOP])

    def top_stories(self) -> list[tuple[str, int]]:
        """(story_id, outlets in the window), most outlets first (ties by id)."""
        return sorted(self.by_story().items(), key=lambda item: (-item[1], item[0]))[:MAX_TOP]


# What a key is tracked as: one report, or a window of them.
Tracked = Track | FirstReport


def trim(tracks: dict[str, Tracked], keep: int, now: float, window: float, forget: float) -> None:
    """Drop the weakest of ``tracks`` down to ``keep``: fewest reports in the ``window``
    seconds before ``now``, then the smallest baseline (ties by key)."""
    for track in tracks.values():  # windows expire lazily: rank on what is in them
        track.expire(now - window, forget)
    ranked = sorted(tracks.items(), key=lambda item: _strength(item, now, forget))
    for key, _ in ranked[: len(tracks) - keep]:
        del tracks[key]


def _strength(item: tuple[str, Tracked], now: float, forget: float) -> tuple[int, float, str]:
    key, track = item
    return (track.count, track.baseline_now(now, forget), key)


def folded_story(track: Track) -> str | None:
    """The story holding more than half of a rule's or name's reports, if one does."""
    top = track.top_stories()[:1]
    if not top:  # only listed with a count of 2 or more, but cheap to be sure
        return None
    [(story_id, reports)] = top
    return story_id if reports * 2 > track.count else None


def spread(track: Track, min_stories: int, *, one_story: bool) -> bool:
    """``track``'s reports come from ``min_stories`` stories or more and, when
    ``one_story`` is a story's own surge, no story holds more than half of them."""
    by_story = track.by_story()
    if len(by_story) < min_stories:
        return False
    top = max(by_story.values(), default=0)
    return not (one_story and top * 2 > track.count)


def surge_of(
    kind: SurgeKind,
    key: str,
    track: Track,
    now: float,
    judged: tuple[float, float],
    *,
    title_of: Callable[[str], str],
) -> Surge:
    """The surge ``track`` fires at ``now``, with its evidence (``judged``: the expected
    count and the score; ``title_of``: a story's title by its id)."""
    (expected, score), start = judged, track.window_start()
    stories = tuple(
        (story_id, title_of(story_id), outlets) for story_id, outlets in track.top_stories()
    )
    return Surge(
        surge_id=surge_id(kind, key, _moment(start)), kind=kind, key=key, label=track.label,
        window_start=_moment(start), window_end=_moment(now), fired_at=_moment(now),
        count=track.count, expected=round(expected, 4), outlets=track.outlets(),
        score=round(score, 3), top_stories=stories, top_outlets=track.top_outlets(),
    )  # fmt: skip


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
