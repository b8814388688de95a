"""How busy each hour of the week is, relative to the week's average, learned online
from every article seen (weights halve every four weeks).

An hour-of-week slot is seen once a week, so its own estimate leans on the product of
its hour of the day and its day of the week (each seen far more often) until the slot
has a few weeks of its own: one day of news already gives the day's rhythm.

An hour is learned when it is over, and it enters its slot with at most
``CEILING_TIMES`` its expected articles plus ``CEILING_PLUS``: a surge is never judged
against a profile its own articles raised (the hour it is in is not in the profile
yet), and a burst raises its slot's next weeks by that ceiling at most
(docs/decisions/0060-surge-cost-and-the-profile.md). Counting an article in the open
hour is one addition.
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
# An hour enters its slot with at most this many times the articles expected of it, plus
# a few (small counts vary by more than a factor), once a day has been learned.
CEILING_TIMES = 3.0
CEILING_PLUS = 3.0
CEILING_AFTER_HOURS = 24.0
NO_HOUR = -1


def slot_of_hour(hour: int) -> int:
    """The hour-of-week slot of an hour since the epoch (a Thursday)."""
    return (hour // 24 + 3) % 7 * 24 + hour % 24


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
    open_hour: int = NO_HOUR  # the hour (since the epoch) being counted, not learned yet
    open_articles: float = 0.0  # its articles so far
    open_hours: float = 0.0  # the part of it observed so far
    _daily: list[list[float]] = field(default_factory=lambda: [_zeros(24), _zeros(24)])
    _weekly: list[list[float]] = field(default_factory=lambda: [_zeros(7), _zeros(7)])
    _totals: list[float] = field(default_factory=lambda: [0.0, 0.0])
    _factors: dict[int, float] = field(default_factory=dict)  # read since the last change

    def __post_init__(self) -> None:
        self._sum_up()

    def _sum_up(self) -> None:
        """The sums per hour of the day, day of the week and in all, from the slots."""
        self._factors = {}
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
        self._factors.clear()  # the priors' weight moves with the scale
        return self.scale

    def _add(self, which: int, slot: int, amount: float) -> None:
        self._factors.clear()
        (self.counts, self.hours)[which][slot] += amount
        self._daily[which][slot % 24] += amount
        self._weekly[which][slot // 24] += amount
        self._totals[which] += amount

    def add_article(self, hour: int) -> None:
        """One article in ``hour`` (hours since the epoch, never before the last one's)."""
        if hour != self.open_hour:
            self._open(hour)
        self.open_articles += 1.0

    def add_time(self, hour: int, hours: float) -> None:
        """``hours`` of ``hour`` observed (a part of it, or all)."""
        if hour != self.open_hour:
            self._open(hour)
        self.open_hours += hours

    def _open(self, hour: int) -> None:
        """Learn the open hour (its articles up to the ceiling), then count ``hour``."""
        if self.open_hour != NO_HOUR:
            slot, scale = slot_of_hour(self.open_hour), self._grow(self.open_hour + 1.0)
            articles = min(self.open_articles, self.ceiling(slot, self.open_hours))
            self._add(0, slot, articles * scale)
            self._add(1, slot, self.open_hours * scale)
        self.open_hour, self.open_articles, self.open_hours = hour, 0.0, 0.0

    def ceiling(self, slot: int, hours: float) -> float:
        """The most articles ``hours`` of ``slot`` may add: unbounded before a day is known."""
        if self._totals[1] < CEILING_AFTER_HOURS * self.scale:
            return math.inf
        average = self._totals[0] / self._totals[1]
        return CEILING_TIMES * average * self.factor(slot) * hours + CEILING_PLUS

    def factor(self, slot: int) -> float:
        """The slot's rate over the week's average rate; 1 while nothing is known. Kept
        until an hour is learned: the window's is read by every check."""
        known = self._factors.get(slot)
        if known is None:
            known = self._factors[slot] = self._factor(slot)
        return known

    def _factor(self, slot: int) -> float:
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
