"""The pieces of bench.dedup_clusters on a few invented rows (no real data)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

import bench.dedup_eval
from bench.dedup_clusters import FIRST, composition, openings, table
from bench.dedup_eval import Row, bcubed, merged_labels, spread_index
from monitor.config.settings import DedupSettings
from monitor.stories.dedup import story_index_for
from monitor.stories.index import StoryIndex, StoryMatch

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


# A later report of the first tram headline (a story id of its own, merged into the tram
# label by the shared headline, spread after both tram pieces): it joins the first piece
# and, forced here (real merges need real embeddings), absorbs the second.
BRIDGE = replace(ROWS[0], story="tram vote")


def _bridging(settings: DedupSettings) -> StoryIndex:
    """The index, its lookup of ``BRIDGE`` also absorbing the second tram piece's story."""
    index, opened_by = story_index_for(settings), dict[str, str]()
    find, add = index.find, index.add

    def bridged(title: str, *args: Any, **kwargs: Any) -> StoryMatch | None:
        found = find(title, *args, **kwargs)
        if title == BRIDGE.title and found is not None:
            return replace(found, absorbed=(opened_by[ROWS[1].title],))
        return found

    def remembered(story_id: str, article_id: str, title: str, *args: Any, **kw: Any) -> None:
        opened_by.setdefault(title, story_id)
        add(story_id, article_id, title, *args, **kw)

    index.find, index.add = bridged, remembered  # type: ignore[method-assign, assignment]
    return index


def test_pieces_a_merge_folded_together_count_once_as_in_the_evaluation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [*ROWS, BRIDGE]
    monkeypatch.setattr(bench.dedup_eval, "story_index_for", _bridging)
    evaluated = bcubed(spread_index(rows, DedupSettings()), merged_labels(rows))[2]
    found = composition(*openings(rows, _bridging(DedupSettings())))
    assert evaluated == 1.5  # trams one piece, bread two
    assert found.per_story == pytest.approx(evaluated)
    assert found.by_reason == {
        FIRST: {"2-4 articles": 1, "1 article": 1},
        "never a candidate": {"1 article": 1},
    }
