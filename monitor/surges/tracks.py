"""One watched key: its reports inside the sliding window, and the forgotten-by-age count
of the reports that left the window (its baseline). Times are seconds since the epoch."""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

from monitor.surges.model import MAX_TOP

# (when, story_id, outlet): one independent report in the window
Report = tuple[float, str, str]


@dataclass(slots=True)
class Track:
    """A story, rule or name. A (story, outlet) pair counts once per window: a wire
    text's copies share one outlet key, so they add nothing."""

    label: str
    baseline: float = 0.0  # decayed count of reports that left the window
    baseline_at: float = 0.0  # when ``baseline`` was last decayed to
    cooled_until: float = 0.0  # no firing before this (after the last one)
    # The detector's exposure when this key began to be tracked, and when: a rule added
    # by reload or a name tracked anew is judged on the time since, not all the time.
    exposure_then: float = 0.0
    born: float = 0.0
    reports: deque[Report] = field(default_factory=deque)
    pairs: set[tuple[str, str]] = field(default_factory=set)

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
        pair = (story_id, outlet)
        if pair in self.pairs:
            self.expire(start, forget)
            if pair in self.pairs:
                return False
        self.pairs.add(pair)
        self.reports.append((moment, story_id, outlet))
        return True

    def expire(self, start: float, forget: float) -> None:
        """Move reports older than ``start`` from the window into the baseline (``forget``:
        the decay rate per second)."""
        reports = self.reports
        while reports and reports[0][0] < start:
            moment, story_id, outlet = reports.popleft()
            self.pairs.discard((story_id, outlet))
            self.baseline = self.baseline_now(start, forget) + math.exp(forget * (moment - start))
            self.baseline_at = start

    def remember(self, moment: float, now: float, forget: float) -> None:
        """Count a report from before the window straight into the baseline."""
        self.baseline = self.baseline_now(now, forget) + math.exp(forget * (moment - now))
        self.baseline_at = now

    def baseline_now(self, now: float, forget: float) -> float:
        if not self.baseline:
            return 0.0
        return self.baseline * math.exp(forget * (self.baseline_at - now))

    @property
    def count(self) -> int:
        return len(self.reports)

    def outlets(self) -> int:
        return len({outlet for _, _, outlet in self.reports})

    def stories(self) -> int:
        return len({story_id for _, story_id, _ in self.reports})

    def top_story_reports(self) -> int:
        """The reports in the window of the story with the most of them."""
        counted = Counter(story_id for _, story_id, _ in self.reports)
        return max(counted.values(), default=0)

    def window_start(self) -> float:
        return self.reports[0][0]

    def top_outlets(self) -> tuple[str, ...]:
        """The outlets with the most reports in the window (ties by name)."""
        counted = Counter(outlet for _, _, outlet in self.reports)
        ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        return tuple(outlet for outlet, _ in ranked[:MAX_TOP])

    def top_stories(self) -> list[tuple[str, int]]:
        """(story_id, outlets in the window), most outlets first (ties by id)."""
        counted = Counter(story_id for _, story_id, _ in self.reports)
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:MAX_TOP]
