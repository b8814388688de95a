"""What ``bench.packs`` computes: which headlines a pack fires on, and how well, by stratum.

A pack "fires" on a headline when any of its lists (keyword set or entity list) hits
the title, through the real loader and matcher. Recall and precision are estimated
from a labelled stratified sample (``bench.packs_frame``): each labelled headline
stands for ``stratum size / stratum sample`` headlines of the file, and both figures
are ratios of those weighted counts. The 95 % intervals come from a stratified
bootstrap (resampling each stratum's labelled rows, seeded), paired across the two
packs so the change has its own interval.
"""

from __future__ import annotations

import csv
import random
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import rules
from bench.packs_frame import STRATA, reference_words

BOOTSTRAP_ROUNDS = 1_000
BOOTSTRAP_SEED = 2026


@dataclass(frozen=True, slots=True)
class Headline:
    row_id: int
    title: str


@dataclass(frozen=True, slots=True)
class Firing:
    """What one pack found in one headline."""

    lists: frozenset[str]
    terms: frozenset[str]


Firings = Mapping[int, Firing]  # row id -> what fired; absent ids fired nothing


def pack_lists(text: str) -> list[str]:
    """A pack's list names, in the order written."""
    document = tomllib.loads(text)
    return [*document.get("entities", {}), *document.get("keywords", {})]


def pack_matcher(name: str, text: str) -> rules.Matcher:
    """One rule per list of the pack (named after it), loaded and compiled as users do."""
    lists = pack_lists(text)
    source = f"use = [{name!r}]\n".replace("'", '"') + "".join(
        f'[[rules]]\nname = "{item}"\nall_of = ["{item}"]\n' for item in lists
    )
    ruleset = rules.load_ruleset([rules.RuleSource("bench.toml", source)], vocabulary={name: text})
    return rules.compile_rules(ruleset)


def fire(matcher: rules.Matcher, headlines: Iterable[Headline]) -> dict[int, Firing]:
    """What the pack finds in each headline's title, for those it finds anything in."""
    firings = {}
    for headline in headlines:
        matches = matcher.match({"title": headline.title})
        if matches:
            lists = frozenset(match.rule for match in matches)
            terms = frozenset(hit.term for match in matches for hit in match.hits)
            firings[headline.row_id] = Firing(lists, terms)
    return firings


# -- labelled samples ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Labelled:
    row_id: int
    stratum: int
    conflict: bool


def read_labels(path: Path) -> dict[str, dict[int, bool]]:
    """Sample name -> row id -> conflict label, from ``id,sample,conflict`` rows."""
    samples: dict[str, dict[int, bool]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            samples.setdefault(row["sample"], {})[int(row["id"])] = row["conflict"] == "1"
    return samples


@dataclass(frozen=True, slots=True)
class StratumCounts:
    """One stratum of one sample: its size in the file and its labelled rows' counts."""

    stratum: int
    size: int
    labelled: int
    conflict: int
    fired: tuple[int, int]  # labelled rows each pack fires on (before, after)
    found: tuple[int, int]  # conflict rows each pack fires on


@dataclass(frozen=True, slots=True)
class Score:
    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class SampleResult:
    name: str
    strata: tuple[StratumCounts, ...]
    recall: tuple[Score, Score]
    precision: tuple[Score, Score]
    recall_change: Score
    precision_change: Score

    @property
    def conflict(self) -> int:
        return sum(stratum.conflict for stratum in self.strata)

    @property
    def estimated_conflict(self) -> float:
        return sum(s.size * s.conflict / s.labelled for s in self.strata if s.labelled)


Row = tuple[bool, bool, bool]  # conflict, fired before, fired after


def score_sample(
    name: str,
    labels: Mapping[int, bool],
    strata_of: Mapping[int, int],
    sizes: Mapping[int, int],
    firings: tuple[Firings, Firings],
) -> SampleResult:
    """Weighted recall and precision of both packs on one labelled sample."""
    rows: dict[int, list[Row]] = {number: [] for number in STRATA}
    for row_id, conflict in sorted(labels.items()):
        before, after = (row_id in fired for fired in firings)
        rows[strata_of[row_id]].append((conflict, before, after))
    counts = tuple(_counts(number, sizes[number], rows[number]) for number in STRATA)
    point = _estimates(rows, sizes)
    rounds = _bootstrap(rows, sizes)
    return SampleResult(
        name,
        counts,
        recall=(_score(point[0], rounds, 0), _score(point[1], rounds, 1)),
        precision=(_score(point[2], rounds, 2), _score(point[3], rounds, 3)),
        recall_change=_change(point, rounds, 0),
        precision_change=_change(point, rounds, 2),
    )


def _counts(number: int, size: int, rows: Sequence[Row]) -> StratumCounts:
    fired = (sum(row[1] for row in rows), sum(row[2] for row in rows))
    found = (sum(row[0] and row[1] for row in rows), sum(row[0] and row[2] for row in rows))
    return StratumCounts(number, size, len(rows), sum(row[0] for row in rows), fired, found)


Estimate = tuple[float, float, float, float]  # recall before/after, precision before/after


def _estimates(rows: Mapping[int, Sequence[Row]], sizes: Mapping[int, int]) -> Estimate:
    conflict = fired_b = fired_a = found_b = found_a = 0.0
    for number, stratum_rows in rows.items():
        if not stratum_rows:
            continue
        weight = sizes[number] / len(stratum_rows)
        for is_conflict, before, after in stratum_rows:
            conflict += weight * is_conflict
            fired_b, fired_a = fired_b + weight * before, fired_a + weight * after
            found_b += weight * (is_conflict and before)
            found_a += weight * (is_conflict and after)
    return (
        _ratio(found_b, conflict),
        _ratio(found_a, conflict),
        _ratio(found_b, fired_b),
        _ratio(found_a, fired_a),
    )


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _bootstrap(rows: Mapping[int, Sequence[Row]], sizes: Mapping[int, int]) -> list[Estimate]:
    rng = random.Random(BOOTSTRAP_SEED)
    return [_estimates(_resample(rows, rng), sizes) for _ in range(BOOTSTRAP_ROUNDS)]


def _resample(rows: Mapping[int, Sequence[Row]], rng: random.Random) -> dict[int, list[Row]]:
    """Each stratum's labelled rows drawn again, with replacement, as many as it has."""
    return {
        number: rng.choices(items, k=len(items)) if items else [] for number, items in rows.items()
    }


def _interval(values: list[float], value: float) -> Score:
    ordered = sorted(values)
    low = ordered[int(0.025 * (len(ordered) - 1))]
    high = ordered[int(0.975 * (len(ordered) - 1))]
    return Score(value, low, high)


def _score(value: float, rounds: list[Estimate], index: int) -> Score:
    return _interval([round_[index] for round_ in rounds], value)


def _change(point: Estimate, rounds: list[Estimate], index: int) -> Score:
    changes = [round_[index + 1] - round_[index] for round_ in rounds]
    return _interval(changes, point[index + 1] - point[index])


# -- what was missed, and what the change adds -----------------------------------------


def missed_words(
    titles: Mapping[int, str], labels: Iterable[Mapping[int, bool]], firings: Firings
) -> Counter[str]:
    """Conflict headlines the pack misses, counted by each reference word they contain."""
    words: Counter[str] = Counter()
    for sample in labels:
        for row_id, conflict in sample.items():
            if conflict and row_id not in firings:
                words.update(reference_words(titles[row_id]) or ("(no reference word)",))
    return words


@dataclass(frozen=True, slots=True)
class CorpusChange:
    """The whole file: how many headlines each pack fires on, and what the change adds."""

    headlines: int
    fired: tuple[int, int]
    per_list: dict[str, tuple[int, int]]
    gained: int  # headlines the new pack fires on and the old one did not
    lost: int
    gained_by_term: Counter[str]  # new-only headlines by the terms found in them


def corpus_change(
    headlines: int, lists: Sequence[str], before: Firings, after: Firings
) -> CorpusChange:
    gained = after.keys() - before.keys()
    by_term: Counter[str] = Counter()
    for row_id in gained:
        by_term.update(after[row_id].terms)
    per_list = {name: (_list_count(before, name), _list_count(after, name)) for name in lists}
    return CorpusChange(
        headlines,
        (len(before), len(after)),
        per_list,
        len(gained),
        len(before.keys() - after.keys()),
        by_term,
    )


def _list_count(firings: Firings, name: str) -> int:
    return sum(name in firing.lists for firing in firings.values())
