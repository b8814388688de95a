"""A key's window (``Track``) against a plain list of reports written out the long way:
the same adds and expiries leave both with the same reports, count and baseline, to the
bit."""

from __future__ import annotations

import math
import random

import pytest

from monitor.surges.tracks import Report, Track

WINDOW, FORGET = 3600.0, math.log(2) / 86400.0


class ListWindow:
    """The window as a list of reports, oldest first: a pair counts once while it is in
    it; reports before the window's start leave into the baseline, summed oldest first."""

    def __init__(self) -> None:
        self.reports: list[Report] = []
        self.baseline, self.baseline_at = 0.0, 0.0

    def add(self, moment: float, story: str, outlet: str, start: float) -> bool:
        if any(held[1:] == (story, outlet) for held in self.reports):
            self.expire(start)
            if any(held[1:] == (story, outlet) for held in self.reports):
                return False
        self.reports.append((moment, story, outlet))
        return True

    def expire(self, start: float) -> None:
        leaving = [report for report in self.reports if report[0] < start]
        if not leaving:
            return
        left = 0.0
        for moment, _, _ in leaving:
            left += math.exp(FORGET * (moment - start))
        kept = self.baseline * math.exp(FORGET * (self.baseline_at - start))
        self.baseline = (kept if self.baseline else 0.0) + left
        self.baseline_at = start
        self.reports = self.reports[len(leaving) :]


def _held(window: Track | ListWindow) -> tuple[object, ...]:
    return (list(window.reports), len(window.reports), window.baseline, window.baseline_at)


@pytest.mark.parametrize("seed", range(6))
def test_a_window_holds_what_a_list_of_reports_would_to_the_bit(seed: int) -> None:
    """Seeded streams with pairs seen again (inside and after the window), quiet spells
    that empty the window, and expiry only when the oldest report has left, as the
    detector asks: the same reports, counts and baseline as the list after each step."""
    rng, track, listed, now = random.Random(seed), Track("Hama"), ListWindow(), 0.0
    for _ in range(600):
        now += rng.choice([5.0, 60.0, 600.0, 2400.0, 9000.0])
        story, outlet = f"s{rng.randrange(12)}", f"o{rng.randrange(4)}"
        start = now - WINDOW
        assert track.add(now, story, outlet, start, FORGET) == listed.add(now, story, outlet, start)
        if rng.random() < 0.5:  # the detector expires only past ``min_count``: lazily
            listed.expire(start)
            if track.reports and track.reports[0][0] < start:
                track.expire(start, FORGET)
        assert _held(track) == _held(listed)


def test_a_pair_leaving_counts_again_at_the_back() -> None:
    """A pair in the window counts once; once it has left, it counts again, as the newest."""
    track = Track("Hama")
    assert track.add(0.0, "s1", "a") and track.add(1000.0, "s2", "b")
    assert not track.add(2000.0, "s1", "a", 0.0, FORGET)  # still in the window from 0 s
    assert track.add(4000.0, "s1", "a", 4000.0 - WINDOW, FORGET)  # it left at 400 s
    assert list(track.reports) == [(1000.0, "s2", "b"), (4000.0, "s1", "a")]
    assert track.baseline == math.exp(FORGET * (0.0 - 400.0))
