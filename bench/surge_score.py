"""How ``bench.surge`` scores a run: injected events detected and how fast, and flags on
the background alone, all of them and those where nothing real happened
(``bench.surge_truth``), over the whole stream or one half of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.surge_stream import Event
from bench.surge_truth import BackgroundTruth
from monitor.surges import Surge, SurgeKind

KINDS = ("new_name", "known_name", "fast_story", "slow_rise", "syndicated")
TARGET_MINUTES = 30


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of the streams scored on its own: events that begin in it, flags fired
    in it, ``days`` of background after the warm-up."""

    label: str
    start: datetime
    end: datetime
    days: float


@dataclass(frozen=True, slots=True)
class Scores:
    """One method on one setting: detection by event kind, flags per day by kind."""

    detected: dict[str, tuple[int, int]]  # kind -> (detected, events)
    target: tuple[int, int, int]  # target events: within 30 min, detected at all, events
    delays: list[float]  # minutes, target events detected
    flags_per_day: dict[str, float]  # every flag on the background alone
    false_per_day: float  # flags on the background where nothing real happened

    @property
    def target_share(self) -> float:
        return self.target[0] / self.target[2] if self.target[2] else 0.0

    @property
    def flags(self) -> float:
        return sum(self.flags_per_day.values())


def _hits(event: Event, surges: Sequence[Surge]) -> list[Surge]:
    last = event.sightings[-1].at + timedelta(hours=1)
    kind, key = event.kind_key
    return [
        surge for surge in surges
        if event.first <= surge.fired_at <= last
        and ((surge.kind.value, surge.key) == (kind, key)
             or (surge.kind is SurgeKind.STORY and surge.key.startswith(event.event_id)))
    ]  # fmt: skip


def score(
    made: list[Event], runs: tuple[list[Surge], list[Surge]], truth: BackgroundTruth,
    period: Period,
) -> Scores:  # fmt: skip
    """``runs``: the surges on the background with the events, and on it alone."""
    mixed, alone = runs
    detected: dict[str, tuple[int, int]] = {}
    within, hit, total, delays = 0, 0, 0, []
    for event in (event for event in made if period.start <= event.first < period.end):
        found = _hits(event, mixed)
        got, seen = detected.get(event.kind, (0, 0))
        detected[event.kind] = (got + bool(found), seen + 1)
        if event.in_target:
            total += 1
            if found:
                hit += 1
                delay = (min(s.fired_at for s in found) - event.first).total_seconds() / 60
                delays.append(delay)
                within += delay <= TARGET_MINUTES
    flagged = [surge for surge in alone if period.start <= surge.fired_at < period.end]
    flags = {kind.value: sum(s.kind is kind for s in flagged) / period.days for kind in SurgeKind}
    false = len(truth.false_flags(flagged)) / period.days
    return Scores(detected, (within, hit, total), delays, flags, false)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


TABLE_HEAD = (
    "| method | period | new name | known name | fast story | slow rise (must not) | "
    "syndicated (must not) | target within 30 min | target at all | median delay (min) | "
    "p90 delay (min) | false flags/day (nothing real) | all flags/day (by kind) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def row(label: str, period: Period, scores: Scores) -> str:
    kinds = " | ".join(
        f"{got}/{total}" for got, total in (scores.detected.get(kind, (0, 0)) for kind in KINDS)
    )
    within, hit, total = scores.target
    by_kind = ", ".join(f"{kind} {value:.2f}" for kind, value in scores.flags_per_day.items())
    return (
        f"| {label} | {period.label} | {kinds} | {within}/{total} ({scores.target_share:.0%}) | "
        f"{hit}/{total} | {percentile(scores.delays, 0.5):.1f} | "
        f"{percentile(scores.delays, 0.9):.1f} | {scores.false_per_day:.2f} | "
        f"{scores.flags:.2f} ({by_kind}) |"
    )
