"""The article streams of ``bench.surge``: five months of real news rhythm from the UCI
"News Aggregator" headlines, with seeded events injected into it.

**Background.** Each row is one outlet's headline of one story; the data's timestamp is
per story (its crawl time, SOURCE.md), so each story's articles are spread over the
hours after it: every article's delay is drawn, seeded by the story's id and the article's
place in it, from a log-normal distribution with a median of 12 hours (sigma 1.0, capped at
72 hours: ``SPREAD_MEDIAN_HOURS``, ``SPREAD_SIGMA``, ``SPREAD_MAX_HOURS``) — about one in 27
of a story's outlets in its first two hours, a quarter within six, nine in ten within 43.
The outlet is the publisher. Names are what the daemon's story bookkeeping reads in a
headline (``monitor.stories.headlines.name_phrases``, with the name statistics of the
story index learned from the headlines as they arrive); rules are the example config's.

**Events**, seeded and spread over the months after the first week, each carried by
outlets drawn from the data's publishers, of varied size and speed:

- ``new_name``: a story naming a place never seen before ("Velmora"), reported by n outlets;
- ``known_name``: a name of the background that is mentioned often, suddenly in
  several new stories by n outlets;
- ``fast_story``: a story without any name, gaining n outlets;
- ``slow_rise``: a new name in more and more stories over five days (must not fire);
- ``syndicated``: one wire text carried by 30 feeds, its copies one outlet (must not fire).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.stories import fold
from monitor.stories.headlines import name_phrases
from monitor.stories.names import NameStats
from monitor.surges import Sighting

DATA_FILE = "newsCorpora.tsv.gz"
SPREAD_MEDIAN_HOURS = 12.0
SPREAD_SIGMA = 1.0
SPREAD_MAX_HOURS = 72.0
SYLLABLES = "vel mor ka tan ris dov ul sem bar kes nor pil zan tre go fa lum".split()
KINDS = ("new_name", "known_name", "fast_story", "slow_rise", "syndicated")
SIZES = (6, 10, 15, 25, 40)  # outlets an event reaches
SPANS = (15, 30, 60, 120, 240)  # minutes it takes to reach them


@dataclass(frozen=True, slots=True)
class Row:
    """One headline of the data: its time (spread), story, outlet, title."""

    at: datetime
    story: str
    outlet: str
    title: str


@dataclass(frozen=True, slots=True)
class Event:
    """One injected event: its key (a name's folded form, or a story id), its sightings."""

    event_id: str
    kind: str
    kind_key: tuple[str, str]  # (surge kind, key) a detection is recognised by
    outlets: int
    minutes: int
    first: datetime
    sightings: tuple[Sighting, ...]

    @property
    def in_target(self) -> bool:
        """Reaches 10 independent outlets within an hour (the issue's target set)."""
        return self.kind in {"new_name", "known_name", "fast_story"} and (
            self.outlets >= 10 and self.minutes <= 60
        )


def _delay(story: str, index: int, seed: int) -> timedelta:
    digest = hashlib.sha256(f"{seed}:{story}:{index}".encode()).digest()
    uniform = (int.from_bytes(digest[:8], "big") + 0.5) / 2**64
    normal = math.sqrt(2) * _erfinv(2 * uniform - 1)
    hours = min(SPREAD_MEDIAN_HOURS * math.exp(SPREAD_SIGMA * normal), SPREAD_MAX_HOURS)
    return timedelta(hours=hours)


def _erfinv(value: float) -> float:
    """The inverse error function (Giles' approximation, ample for a spread of times)."""
    w = -math.log((1.0 - value) * (1.0 + value))
    if w < 5.0:
        w -= 2.5
        coefficients = (
            2.81022636e-08,
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        )
    else:
        w = math.sqrt(w) - 3.0
        coefficients = (
            -0.000200214257,
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        )
    result = 0.0
    for coefficient in coefficients:
        result = result * w + coefficient
    return result * value


def spread_times(items: Sequence[tuple[str, datetime]], seed: int) -> list[datetime]:
    """Each (story, stamp) item's time spread after its story's earliest stamp, as
    ``read_rows`` spreads them: the n-th item of a story gets the story's n-th delay."""
    start: dict[str, datetime] = {}
    for story, stamp in items:
        start[story] = min(start.get(story, stamp), stamp)
    seen: Counter[str] = Counter()
    times = []
    for story, _ in items:
        times.append(start[story] + _delay(story, seen[story], seed))
        seen[story] += 1
    return times


def read_rows(folder: Path, seed: int, days: float | None = None) -> list[Row]:
    """Every headline with its spread time, in time order (``days``: only the first ones)."""
    stories: dict[str, list[tuple[float, str, str]]] = {}
    with gzip.open(folder / DATA_FILE, "rt", encoding="utf-8", newline="") as handle:
        for line in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(line) == 8:
                stories.setdefault(line[5], []).append((int(line[7]) / 1000, line[3], line[1]))
    rows = []
    for story, items in stories.items():
        start = datetime.fromtimestamp(min(item[0] for item in items), UTC)
        for index, (_, outlet, title) in enumerate(items):
            rows.append(Row(start + _delay(story, index, seed), story, outlet, title))
    rows.sort(key=lambda row: (row.at, row.story, row.outlet, row.title))
    if days is not None and rows:
        end = rows[0].at + timedelta(days=days)
        rows = [row for row in rows if row.at < end]
    return rows


@dataclass
class Namer:
    """Names in a headline as the daemon's story bookkeeping reads them."""

    stats: NameStats = field(default_factory=NameStats)

    def names(self, title: str) -> tuple[tuple[str, str], ...]:
        self.stats.observe(title, "en")
        found: dict[str, str] = {}
        for written, _kind in name_phrases(title, self.stats.is_name, "en"):
            key = fold(written)
            if key:
                found.setdefault(key, written)
        return tuple(found.items())


def sightings(rows: list[Row], rules_of: object = None) -> Iterator[Sighting]:
    """The background as the detector sees it (rules: see ``bench.surge``)."""
    namer = Namer()
    matcher = rules_of if callable(rules_of) else (lambda _title: ())
    for row in rows:
        yield Sighting(row.at, row.story, row.outlet, row.title, matcher(row.title),
                       namer.names(row.title))  # fmt: skip


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def frequent_names(stream: list[Sighting], limit: int = 200) -> list[tuple[str, str]]:
    """Names of the background seen most often (the "known names" events pick from)."""
    counted = Counter(name for sighting in stream for name in sighting.names)
    return [name for name, _ in counted.most_common(limit)[20:]]


def events(
    rng: random.Random,
    start: datetime,
    end: datetime,
    count: int,
    outlets: list[str],
    known: list[tuple[str, str]],
) -> list[Event]:
    """``count`` events of every kind, size and speed in turn, at seeded times."""
    step = (end - start) / count
    made = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        size, span = SIZES[(index // 5) % len(SIZES)], SPANS[(index // 25) % len(SPANS)]
        at = start + step * index + timedelta(seconds=rng.random() * step.total_seconds() / 2)
        made.append(_event(rng, f"ev{index:04d}", kind, at, size, span, outlets, known))
    return made


def _event(
    rng: random.Random,
    event_id: str,
    kind: str,
    at: datetime,
    size: int,
    span: int,
    outlets: list[str],
    known: list[tuple[str, str]],
) -> Event:
    chosen = rng.sample(outlets, max(size, 30))
    if kind == "slow_rise":
        return _slow_rise(rng, event_id, at, chosen)
    if kind == "syndicated":
        return _syndicated(event_id, at, span)
    name = (fold(word := _word(rng)), word) if kind == "new_name" else rng.choice(known)
    names = () if kind == "fast_story" else (name,)
    stories = 1 if kind != "known_name" else 3
    step = timedelta(minutes=span / size)
    made = [
        Sighting(
            at + step * number,
            f"{event_id}-s{number % stories}",
            chosen[number],
            _headline(rng, name[1] if names else ""),
            (),
            names,
        )
        for number in range(size)
    ]
    key = ("story", f"{event_id}-s0") if kind == "fast_story" else ("name", name[0])
    return Event(event_id, kind, key, size, span, at, tuple(made))


def _headline(rng: random.Random, name: str) -> str:
    verb = rng.choice(("reports output fell sharply", "says shipments halted", "sees prices jump"))
    return f"{name} {verb}" if name else f"regional official {verb}"


def _slow_rise(rng: random.Random, event_id: str, at: datetime, chosen: list[str]) -> Event:
    """A new name in one more story every few hours, up to six an hour, over five days."""
    word = _word(rng)
    name, made, hour = (fold(word), word), [], 0
    while hour < 5 * 24:
        per_hour = 1 + 5 * hour // (5 * 24)
        for number in range(per_hour if hour % 2 == 0 else 0):
            moment = at + timedelta(hours=hour, minutes=60 * number / per_hour)
            story = f"{event_id}-h{hour}-{number}"
            made.append(Sighting(moment, story, chosen[(hour + number) % len(chosen)],
                                 f"{word} in talks", (), (name,)))  # fmt: skip
        hour += 1
    return Event(event_id, "slow_rise", ("name", name[0]), 0, 5 * 24 * 60, at, tuple(made))


def _syndicated(event_id: str, at: datetime, span: int) -> Event:
    """One wire text carried by 30 feeds: one outlet ("wire:AP") however many copies."""
    story, name = f"{event_id}-wire", ("kestrelmoor", "Kestrelmoor")
    made = tuple(
        Sighting(
            at + timedelta(minutes=span * number / 30),
            story,
            "wire:AP",
            "Kestrelmoor port closed, AP says",
            (),
            (name,),
        )
        for number in range(30)
    )
    return Event(event_id, "syndicated", ("story", story), 1, span, at, made)
