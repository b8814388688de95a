"""The pieces of bench.dedup_clusters on a few invented rows (no real data)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.dedup_clusters import FIRST, composition, openings, table
from bench.dedup_eval import Row, bcubed, merged_labels, spread_index
from monitor.config.settings import DedupSettings
from monitor.stories.dedup import story_index_for

STAMP = datetime(2014, 3, 10, 12, 0, tzinfo=UTC)
ROWS = [
    Row("Harbourville council approves 12 new tram stops downtown", "trams", STAMP, "en"),
    Row("Harbourville council approves 40 new tram stops downtown", "trams", STAMP, "en"),
    Row("Lakeview bakery wins regional sourdough award", "bread", STAMP, "en"),
    Row("Quarterly grain prices climb sharply", "bread", STAMP, "en"),
]


def test_the_pieces_per_label_are_the_evaluations_clusters_per_true_story() -> None:
    stories, labels, opened = openings(ROWS, story_index_for(DedupSettings()))
    evaluated = bcubed(spread_index(ROWS, DedupSettings()), merged_labels(ROWS))[2]
    assert composition(stories, labels, opened).per_story == pytest.approx(evaluated)


def test_each_piece_is_classed_by_why_its_first_article_stayed_apart() -> None:
    found = composition(*openings(ROWS, story_index_for(DedupSettings())))
    assert found.by_reason == {
        FIRST: {"1 article": 2},
        "a gate: numbers": {"1 article": 1},
        "never a candidate": {"1 article": 1},
    }
    assert found.pieces == 4


def test_the_table_gives_each_reason_its_pieces_per_story() -> None:
    rendered = table(composition(*openings(ROWS, story_index_for(DedupSettings()))))
    assert "2 labels, 4 pieces: 2.00 clusters per true story" in rendered
    assert f"| {FIRST} | 2 | 0 | 0 | 1.00 |" in rendered
