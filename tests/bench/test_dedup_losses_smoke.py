"""The recall-loss classes of bench.dedup_losses on a few invented rows (no real data)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.dedup_eval import Row, bcubed, merged_labels, spread_index
from bench.dedup_losses import losses, table
from monitor.config.settings import DedupSettings

STAMP = datetime(2014, 3, 10, 12, 0, tzinfo=UTC)
ROWS = [
    Row("Harbourville council approves 12 new tram stops downtown", "trams", STAMP, "en"),
    Row("Harbourville council approves 40 new tram stops downtown", "trams", STAMP, "en"),
    Row("Lakeview bakery wins regional sourdough award", "bread", STAMP, "en"),
    Row("Quarterly grain prices climb sharply", "bread", STAMP, "en"),
]


def test_each_lost_pair_is_classed_by_how_far_it_got() -> None:
    lost, _ = losses(ROWS, DedupSettings())
    assert set(lost) == {
        "a gate: numbers | the article started a story of its own",
        "never a candidate | the article started a story of its own",
    }


def test_the_classes_add_up_to_the_recall_the_evaluation_loses() -> None:
    settings = DedupSettings()
    lost, recall = losses(ROWS, settings)
    evaluated = bcubed(spread_index(ROWS, settings), merged_labels(ROWS))[1]
    assert recall == pytest.approx(evaluated)
    assert sum(lost.values()) == pytest.approx(1 - evaluated)


def test_the_table_gives_each_class_its_share() -> None:
    started = "the article started a story of its own"
    lost = {f"never a candidate | {started}": 0.75, f"a gate: numbers | {started}": 0.25}
    rendered = table(lost, 0.0)
    assert "| never a candidate | started a story of its own | 75.0% |" in rendered
    assert rendered.index("75.0%") < rendered.index("25.0%")
