"""How busy each hour of the week is, relative to the week's average, learned online
from every article seen (weights halve every four weeks).

An hour-of-week slot is seen once a week, so its own estimate leans on the product of
its hour of the day and its day of the week (each seen far more often) until the slot
has a few weeks of its own: one day of news already gives the day's rhythm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from monitor.surges.stats import HOURS_A_WEEK

HALF_LIFE_HOURS = 28 * 24.0
_REBASE = math.log(1e9)  # the largest inflation kept before values are rebased
# Pseudo-hours of the coarser estimate each finer one starts from.
_SLOT_PRIOR_HOURS = 3.0  # an hour-of-week slot: three weeks of its own to outweigh it
_MARGIN_PRIOR_HOURS = 1.0  # an hour of the day, a day of the week: one hour


def _zeros(size: int) -> list[float]:
    return [0.0] * size


@dataclass(slots=True)
class HourOfWeek:
    """Counts of articles and hours observed per slot (0: Monday 00:00 UTC), and their
    sums per hour of the day and per day of the week. Stored inflated by ``scale`` so
    forgetting costs nothing per article; the ratios read are unchanged by it."""

    counts: list[float] = field(default_factory=lambda: _zeros(HOURS_A_WEEK))
    hours: list[float] = field(default_factory=lambda: _zeros(HOURS_A_WEEK))
    scale: float = 1.0  # stored values = real values x scale
    scaled_at: float = 0.0  # hours since the epoch when scale was 1
    _daily: list[list[float]] = field(default_factory=lambda: [_zeros(24), _zeros(24)])
    _weekly: list[list[float]] = field(default_factory=lambda: [_zeros(7), _zeros(7)])
    _totals: list[float] = field(default_factory=lambda: [0.0, 0.0])

    def __post_init__(self) -> None:
        self._sum_up()

    def _sum_up(self) -> None:
        """The sums per hour of the day, day of the week and in all, from the slots."""
        self._daily, self._weekly = [_zeros(24), _zeros(24)], [_zeros(7), _zeros(7)]
        for which, values in enumerate((self.counts, self.hours)):
            for slot, value in enumerate(values):
                self._daily[which][slot % 24] += value
                self._weekly[which][slot // 24] += value
        self._totals = [sum(self.counts), sum(self.hours)]

    def _grow(self, now_hours: float) -> float:
        growth = math.log(2) * (now_hours - self.scaled_at) / HALF_LIFE_HOURS
        if growth > _REBASE:  # rebase before floats lose the small values
            shrink = math.exp(-min(growth, 700.0))
            self.counts = [value * shrink for value in self.counts]
            self.hours = [value * shrink for value in self.hours]
            self.scaled_at, growth = now_hours, 0.0
            self._sum_up()
        self.scale = math.exp(growth)
        return self.scale

    def _add(self, which: int, slot: int, amount: float) -> None:
        (self.counts, self.hours)[which][slot] += amount
        self._daily[which][slot % 24] += amount
        self._weekly[which][slot // 24] += amount
        self._totals[which] += amount

    def add_article(self, slot: int, now_hours: float) -> None:
        self._add(0, slot, self._grow(now_hours))

    def add_time(self, slot: int, hours: float, now_hours: float) -> None:
        self._add(1, slot, hours * self._grow(now_hours))

    def factor(self, slot: int) -> float:
        """The slot's rate over the week's average rate; 1 while nothing is known."""
        count, hours = self._totals
        if count <= 0 or hours <= 0:
            return 1.0
        average, scale = count / hours, self.scale  # the scale cancels out of each ratio
        by_hour = _shrunk(self._daily, slot % 24, average, _MARGIN_PRIOR_HOURS * scale)
        by_day = _shrunk(self._weekly, slot // 24, average, _MARGIN_PRIOR_HOURS * scale)
        expected = by_hour * by_day / average
        own = (self.counts[slot] + _SLOT_PRIOR_HOURS * scale * expected) / (
            self.hours[slot] + _SLOT_PRIOR_HOURS * scale
        )
        return own / average


def _shrunk(sums: list[list[float]], index: int, prior_rate: float, prior_hours: float) -> float:
    """A rate from counts and hours, starting from ``prior_rate`` for ``prior_hours``."""
    return (sums[0][index] + prior_hours * prior_rate) / (sums[1][index] + prior_hours)
