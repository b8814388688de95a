"""The multilingual evaluation set's shape, and the semantic bench's pieces and run."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.dedup_eval import Row
from bench.multilingual_events import FAMILY, HEADLINES
from bench.numbers_gate import numbers_agree, numbers_in

LANGUAGES = {"en", "fr", "es", "de", "tr", "ru", "ar", "fa"}


def test_every_event_is_headlined_and_every_family_holds_a_look_alike() -> None:
    events = Counter(event for event, _, _ in HEADLINES)
    families = defaultdict(set)
    for event, family in FAMILY.items():
        families[family].add(event)
    assert len(events) >= 40 and set(events) == set(FAMILY)
    assert all(len(members) >= 2 for members in families.values())


def test_the_set_is_written_in_eight_languages_and_most_events_cross_them() -> None:
    languages = defaultdict(set)
    for event, language, _ in HEADLINES:
        languages[event].add(language)
    assert {language for _, language, _ in HEADLINES} == LANGUAGES
    assert sum(len(found) >= 2 for found in languages.values()) >= 40


def test_no_headline_appears_twice() -> None:
    titles = [title for _, _, title in HEADLINES]
    assert len(set(titles)) == len(titles)


semantic = pytest.importorskip("bench.semantic_eval", reason="needs the semantic extra")
tiers = pytest.importorskip("bench.semantic_slice", reason="needs the semantic extra")


@pytest.mark.parametrize(
    ("title", "expected"),
    [("Van'da 6,1 büyüklüğünde deprem", {"6.1"}),
     ("زلزله ۵.۴ ریشتری", {"5.4"}),
     ("Tesla recalls 200,000 cars", {"200000"}),
     ("Tesla ruft 200.000 Autos zurück", {"200000"}),
     ("Tesla rappelle 200 000 voitures", {"200000"}),
     ("مقتل ١١ شخصا", {"11"}),
     ("Real Madrid beat Barcelona 3-1", {"3", "1"}),
     ("In 2026, 5 dead", {"2026", "5"})],
)  # fmt: skip
def test_numbers_are_read_in_any_script_with_decimal_commas_and_thousands(
    title: str, expected: set[str]
) -> None:
    assert numbers_in(title) == expected


@pytest.mark.parametrize(
    ("mine", "theirs", "agree"),
    [({"12"}, {"12", "3"}, True), ({"12"}, {"14"}, False), (set(), {"14"}, True)],
)
def test_numbers_gate_needs_a_shared_number_only_when_both_have_some(
    mine: set[str], theirs: set[str], agree: bool
) -> None:
    assert numbers_agree(frozenset(mine), frozenset(theirs)) is agree


def test_online_grouping_joins_the_best_earlier_item_and_pairs_are_scored() -> None:
    scores = {(1, 0): 0.9, (2, 0): 0.2, (2, 1): 0.3, (3, 2): 0.8, (3, 0): 0.7}
    grouped = semantic.online(4, lambda later, earlier: scores.get((later, earlier), 0.0), 0.5)
    assert grouped == [0, 0, 2, 2]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [semantic.Item(event, "en", "en", "t", start) for event in ("a", "a", "b", "a")]
    score = semantic.pair_score("m", grouped, rows)
    assert (score.said_same, score.precision, score.recall) == (2, 0.5, pytest.approx(1 / 3))


def test_the_bench_writes_its_section_with_every_method(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    semantic.main(["--data", str(tmp_path), "--timed", "4", "--scan", "2000",
                   "--output", str(output)])  # fmt: skip
    report = output.read_text(encoding="utf-8")
    for method in ("| StoryIndex (today) |", "| embedding ≥ 0.7 |", "numbers gate |",
                   "| StoryIndex, else combined ≥ 0.7 |", "| same, two languages |"):  # fmt: skip
        assert method in report


def test_the_tier_joins_what_the_index_left_apart_unless_numbers_disagree() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    titles = [("Harbour council approves tram line", "a"),
              ("Tram plan for the eastern suburbs gets the go-ahead", "a"),
              ("Harbour ferry fares rise 12%", "b"),
              ("Ferry tickets to cost 30% more", "c")]  # fmt: skip
    rows = [Row(title, story, start, "en") for title, story in titles]
    # rows 0/1 and 2/3 point the same way; 2 and 3 carry different numbers
    vectors = semantic.np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.95, 0.05]])
    norms = semantic.np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = {score.method: score for score in tiers.slice_scores(rows, vectors / norms)}
    today = scores["StoryIndex (today)"]
    tier = scores["StoryIndex, then cosine ≥ 0.8, numbers gate"]
    assert (today.precision, today.recall) == (1.0, 0.75)
    assert (tier.precision, tier.recall) == (1.0, 1.0)


def test_mrpc_combination_keeps_vetoed_pairs_and_number_clashes_apart() -> None:
    pairs = [(True, "Council backs tram", "Tram backed by council"),
             (False, "Storm closes port", "Storm shuts port"),
             (False, "Shares rise 3%", "Shares rise 5%"),
             (True, "Bakery wins award", "Award for the bakery")]  # fmt: skip
    kinds = ["related", "veto", "", ""]
    cosines = semantic.np.array([0.6, 0.95, 0.95, 0.92])
    scores = {score.method: score for score in tiers.mrpc_scores(pairs, kinds, cosines)}
    combined = scores["StoryIndex, else cosine ≥ 0.9, numbers gate"]
    alone = scores["cosine ≥ 0.9, numbers gate"]
    assert (combined.said_same, combined.precision, combined.recall) == (2, 1.0, 1.0)
    assert (alone.said_same, alone.precision) == (2, 0.5)


def test_no_scan_windows_measure_nothing_and_one_window_gives_its_costs() -> None:
    assert tiers.scan_costs([]) == []
    (cost,) = tiers.scan_costs([64], dimensions=8, repeats=1)
    assert cost.window == 64
