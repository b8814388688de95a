"""The statistics of a surge: exponential forgetting, and the negative binomial upper
tail (a Poisson rate whose uncertainty is a gamma distribution: what a learned rate
predicts for the next window)."""

from __future__ import annotations

import math
from collections.abc import Iterator

HOURS_A_WEEK = 168
HOUR = 3600.0  # seconds
LN10 = math.log(10)
_STEPS = (64, 16, 4, 0)  # how far above a count ``least_reaching`` looks, farthest first
_MAX_TERMS = 5000  # tail terms summed at most (a heavy tail); the rest bounded geometrically


def decay(hours: float, half_life_hours: float) -> float:
    """The weight left after ``hours`` when weights halve every ``half_life_hours``."""
    return math.exp(-math.log(2) * max(hours, 0.0) / half_life_hours)


def slot_of(moment: float) -> int:
    """The hour of the week of a time in seconds since the epoch (0: Monday 00:00 UTC;
    the epoch was a Thursday)."""
    day, second = divmod(int(moment), 86_400)
    return (day + 3) % 7 * 24 + second // 3600


def hour_slices(start: float, end: float) -> Iterator[tuple[float, float]]:
    """``[start, end)`` (seconds since the epoch) cut at each full hour."""
    while start < end:
        slice_end = min((start // HOUR + 1) * HOUR, end)
        yield start, slice_end
        start = slice_end


def negbin_score(
    count: int, shape: float, rate: float, exposure: float, floor: float = 0.0
) -> float:
    """-log10 P(X >= count) for the count X in a window of ``exposure`` when the rate per
    unit is Gamma(``shape``, ``rate``): X is negative binomial with r = shape and
    p = rate / (rate + exposure). 0 when ``count`` is at most the mean: such a count is
    no surge, and the tail sum below is only sound past the mode.

    ``floor``: a caller that only asks whether the score reaches it. The tail is at least
    its first term, so -log10 P(X = count) bounds the score from above; when that bound is
    below ``floor`` it is returned as it is, and the tail is not summed."""
    r, q = shape, exposure / (rate + exposure)  # q = 1 - p
    if count <= r * exposure / rate:
        return 0.0
    if q >= 1.0:
        return math.inf
    log_term = (
        math.lgamma(count + r) - math.lgamma(r) - math.lgamma(count + 1)
        + r * math.log1p(-q) + count * math.log(q)
    )  # fmt: skip
    if -log_term / LN10 < floor:
        return -log_term / LN10
    total, term, k = 1.0, 1.0, count
    for _ in range(_MAX_TERMS):
        ratio = (k + r) / (k + 1) * q
        term *= ratio
        total += term
        k += 1
        if term < 1e-9 * total:
            return -(log_term + math.log(total)) / LN10
    # Past the mean each term's ratio to the last is below 1 and tends to q (from above
    # when r > 1, from below otherwise): a geometric series bounds the rest.
    bound = max((k + r) / (k + 1) * q, q)
    total += term * bound / (1.0 - bound)
    return -(log_term + math.log(total)) / LN10


def least_reaching(count: int, shape: float, q: float, level: float) -> int:
    """A count above ``count`` below which every count scores under ``level`` under the
    negative binomial (r = ``shape``, 1 - p = ``q``), or 0 when ``count`` may reach it.
    The score grows with the count and is at most -log10 P(X = c), so a count ``c``
    whose chance alone scores under ``level`` is such a bound plus one: the farthest
    of a few steps from ``count`` that is."""
    if q <= 0.0 or q >= 1.0:
        return 0
    limit, base = -level * LN10, shape * math.log1p(-q) - math.lgamma(shape)
    log_q = math.log(q)
    for step in _STEPS:
        c = count + step
        if math.lgamma(c + shape) - math.lgamma(c + 1) + base + c * log_q > limit:
            return c + 1
    return 0
