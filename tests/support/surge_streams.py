"""Generated article streams for the surge detector: a seeded newsroom (stories, outlets,
names with a skewed popularity, one rule) and the events injected into it."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitor.surges import Sighting

__all__ = [
    "MONDAY",
    "Newsroom",
    "busy_days",
    "in_order",
    "one_story",
    "poisson",
    "steady",
]

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
NAMES = [f"name{index:03d}" for index in range(120)]  # name000 is the most frequent


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; fine for the means used here)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def steady(_: datetime) -> float:
    return 30.0


def busy_days(moment: datetime) -> float:
    """A news week: three times the night's rate by day, half on weekends."""
    rate = 60.0 if 7 <= moment.hour < 19 else 12.0
    return rate / 2 if moment.weekday() >= 5 else rate


@dataclass
class Newsroom:
    """Articles per hour by ``rate``; 60 outlets; most articles open a story, the rest
    join one of the last 40; each article names one or two names (Zipf-weighted);
    one in ten matches the rule "energy"."""

    seed: int
    rate: Callable[[datetime], float] = steady
    outlets: int = 60
    rng: random.Random = field(init=False)
    _stories: list[str] = field(default_factory=list)
    _weights: list[float] = field(default_factory=lambda: [1 / (i + 1) for i in range(len(NAMES))])

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def hours(self, start: datetime, hours: int) -> Iterator[Sighting]:
        for hour in range(hours):
            moment = start + timedelta(hours=hour)
            count = poisson(self.rng, self.rate(moment))
            offsets = sorted(self.rng.random() * 3600 for _ in range(count))
            for offset in offsets:
                yield self._article(moment + timedelta(seconds=offset))

    def _article(self, at: datetime) -> Sighting:
        rng, new = self.rng, self.rng.random() < 0.6 or not self._stories
        if new:
            self._stories = [*self._stories[-39:], f"story-{at.timestamp():.0f}-{rng.random():.6f}"]
        story = self._stories[-1] if new else rng.choice(self._stories)
        names = tuple(dict.fromkeys(rng.choices(NAMES, self._weights, k=rng.choice((1, 2)))))
        rules = ("energy",) if rng.random() < 0.1 else ()
        outlet = f"http://outlet{rng.randrange(self.outlets)}.test/feed"
        return Sighting(at, story, outlet, f"headline of {story}", rules,
                        tuple((name, name.title()) for name in names))  # fmt: skip


def one_story(
    start: datetime,
    minutes: float,
    outlets: list[str],
    *,
    story_id: str = "quake",
    names: tuple[tuple[str, str], ...] = (),
    rules: tuple[str, ...] = (),
) -> list[Sighting]:
    """One story reported by each of ``outlets`` in turn, evenly over ``minutes``."""
    step = timedelta(minutes=minutes / max(len(outlets), 1))
    return [
        Sighting(
            start + step * index,
            story_id,
            outlet,
            f"Breaking: {story_id}",
            rules,
            names,
        )
        for index, outlet in enumerate(outlets)
    ]


def in_order(*streams: Iterator[Sighting] | list[Sighting]) -> list[Sighting]:
    """The streams merged by time (stable for equal times: deterministic)."""
    return sorted((item for stream in streams for item in stream), key=lambda item: item.at)
