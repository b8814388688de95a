"""What a key's baseline expects in the window, and how improbable its count is: the
scores the detector fires on (docs/decisions/0043-surge-detection.md). Pure functions of
what the detector holds.

Rules and names: a rate per profile-hour with a gamma prior, updated by the reports
that left the window, so the count in the window is negative binomial. Stories: their
outlets after the first against the population of stories' first windows, fitted as a
negative binomial and learned as stories' first windows end.
"""

from __future__ import annotations

import math

from monitor.surges.memory import StoryLife
from monitor.surges.profile import HourOfWeek
from monitor.surges.stats import HOUR, hour_slices, least_reaching, negbin_score, slot_of
from monitor.surges.tracks import Track

# The gamma prior of a rule's or name's rate per hour: a key never seen is expected
# 0.05 times an hour, held as weakly as half a report (ten pseudo-hours). The pseudo-hours
# shrink as the key's own observed hours grow (halved every PRIOR_HALF_HOURS): a key new
# mid-stream (a rule added by reload, a name first seen) is judged on its own rate once it
# has a few hours of it, not on a prior worth ten more for its first ten hours.
PRIOR_SHAPE = 0.5
PRIOR_RATE_PER_HOUR = 0.05
PRIOR_HALF_HOURS = 0.5
STORY_MIN_SECONDS = 60.0  # a story's first outlets are judged on a minute at least
# How far below the threshold a bound must stay (-log10 units): far beyond the rounding of
# the scores' floating point, so a key the bound passes by could never have fired.
BOUND_MARGIN = 1e-3

Score = tuple[float, float]  # (the expected count in the window, the count's score)
StoriesSeen = tuple[float, float, float]  # decayed (weight, sum, sum of squares) of outlets


def key_score(
    track: Track, now: float, forget: float, exposure: float, window: float, *, floor: float
) -> Score:
    """A rule's or name's: ``exposure`` the detector's decayed profile-weighted hours,
    ``window`` the window's (a score below ``floor`` may be a bound: ``negbin_score``)."""
    shape = PRIOR_SHAPE + track.baseline_now(now, forget)
    before = track.exposure_then * math.exp(-forget * max(now - track.born, 0.0))
    observed = max(exposure - before - window, 0.0)  # its own hours, out of the window
    rate = _rate(observed)
    expected = shape * window / rate
    count = len(track.reports)
    if count <= expected:  # not above its baseline: no tail to sum
        return expected, 0.0
    return expected, negbin_score(count, shape, rate, window, floor)


def _rate(observed: float) -> float:
    """A key's gamma rate: its ``observed`` profile-weighted hours out of the window and
    its prior's pseudo-hours (convex in ``observed``)."""
    prior_hours: float = PRIOR_SHAPE / PRIOR_RATE_PER_HOUR * 0.5 ** (observed / PRIOR_HALF_HOURS)
    return prior_hours + observed


def key_fires_from(
    track: Track,
    now: float,
    until: float,
    *,
    forget: float,
    exposure: float,
    profile: HourOfWeek,
    window: float,
    threshold: float,
) -> int:
    """The least count that could reach ``threshold`` for a rule or name at any time from
    ``now`` to ``until``, the end of the clock's hour (0: any count may); ``exposure``,
    the detector's now, ``window`` the window's length (seconds).

    The count is negative binomial with r = shape, 1 - p = q = w / (rate + w) for the
    window's exposure w; its tail grows with r and q. Till ``until`` the profile's factors
    stand (an hour is learned as the next begins). So the shape only falls by forgetting
    (reports leaving the window raise it); the detector's exposure grows at most by the
    hour's factor and falls at most by forgetting; w, linear in time between the times the
    window's start crosses an hour, stays within its values at those times and the span's
    ends; the rate, convex in its observed hours, is at most the larger of its values at
    their lowest and highest. The lowest r and q bound every score of the span from
    above: a count below the bound's cannot fire (``BOUND_MARGIN`` to spare)."""
    span = until - now
    kept = math.exp(-forget * span)
    shape = PRIOR_SHAPE + track.baseline_now(now, forget) * kept
    before = track.exposure_then * math.exp(-forget * max(now - track.born, 0.0))
    crossed = (now - window) // HOUR * HOUR + HOUR + window
    ends = (now, until, crossed) if crossed < until else (now, until)
    windows = [window_exposure(profile, end - window, end) for end in ends]
    low_window, high_window = min(windows), max(windows)
    grown = exposure + span / HOUR * profile.factor(slot_of(now))
    lowest = max(exposure * kept - before - high_window, 0.0)
    highest = max(grown - before * kept - low_window, 0.0)
    rate = max(_rate(lowest), _rate(highest))
    q = low_window / (rate + low_window)
    return least_reaching(len(track.reports), shape, q, threshold - BOUND_MARGIN)


def window_exposure(profile: HourOfWeek, start: float, end: float) -> float:
    """The profile-weighted hours from ``start`` to ``end``: a window over a quiet and a
    busy hour expects the sum of their parts."""
    return sum(
        (stop - begin) / HOUR * profile.factor(slot_of(begin))
        for begin, stop in hour_slices(start, end)
    )


def story_score(
    life: StoryLife | None, now: float, window: float, seen: StoriesSeen, floor: float
) -> Score:
    """A story in its first window (``window`` seconds): its outlets after the first
    against what stories gain in that much time; after it, no score."""
    if life is None or now >= life.opened + window:
        return 0.0, 0.0
    shape, mean = story_population(seen)
    mean = max(mean - 1.0, 1e-3)  # outlets after the story's first
    share = max(now - life.opened, STORY_MIN_SECONDS) / window
    after = life.first_outlets - 1
    return mean * share, negbin_score(after, shape, shape / mean, share, floor)


def story_population(seen: StoriesSeen) -> tuple[float, float]:
    """(shape, mean) of the negative binomial fitted to stories' first windows."""
    weight, total, squares = seen
    mean = max(total / weight, 1e-3)
    variance = max(squares / weight - mean * mean, 0.0)
    excess = variance - mean
    return (mean * mean / excess if excess > 1e-6 * mean else 1e6), mean


def story_learned(
    seen: StoriesSeen, seen_at: float | None, outlets: int, now: float, forget: float
) -> StoriesSeen:
    """``seen`` decayed to ``now`` (from ``seen_at``) with one more story's ``outlets``."""
    weight, total, squares = seen
    kept = 1.0 if seen_at is None else math.exp(-forget * (now - seen_at))
    return weight * kept + 1, total * kept + outlets, squares * kept + outlets * outlets
