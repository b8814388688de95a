"""Smoke test of the story-grouping evaluation on a few invented rows (no real data needed)."""

from __future__ import annotations

import gzip
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench import dedup_eval
from bench.dedup_eval import (
    FULL,
    SLICE,
    SPREAD_SEED,
    bcubed,
    main,
    merged_labels,
    read_slice,
    spread_index,
)
from bench.dedup_mrpc import MRPC
from bench.surge_stream import spread_times
from monitor.config.settings import DedupSettings
from monitor.stories.dedup import story_index_for
from monitor.stories.index import StoryIndex

HEADER = "ID\tTITLE\tURL\tPUBLISHER\tCATEGORY\tSTORY\tHOSTNAME\tTIMESTAMP"
ROWS = [
    ("Harbour council approves new tram line for eastern suburbs", "c1"),
    ("UPDATE 1-Harbour council approves new tram line for eastern suburbs", "c1"),
    ("Harbour council backs eastern tram line after long debate", "c1"),
    ("Lakeview bakery wins regional award for sourdough", "c2"),
    ("Lakeview bakery wins regional award for sourdough", "c3"),  # label noise
]


def _write_data(root: Path) -> None:
    lines = [HEADER] + [
        f"{number}\t{title}\thttp://x.example/{number}\tP\tb\t{story}\tx.example\t1394470370698"
        for number, (title, story) in enumerate(ROWS, start=1)
    ]
    (root / SLICE).parent.mkdir(parents=True)
    (root / SLICE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with gzip.open(root / FULL, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines[1:] * 4) + "\n")
    (root / MRPC[0]).parent.mkdir(parents=True)
    pairs = ["1\t1\t2\tTram line approved by council.\tCouncil approves the tram line.",
             "0\t3\t4\tBakery wins award.\tStorm closes harbour."]  # fmt: skip
    for name in MRPC:
        (root / name).write_text("\ufeff" + "\n".join(pairs) + "\n", encoding="utf-8")


def test_identical_headlines_merge_their_story_labels(tmp_path: Path) -> None:
    _write_data(tmp_path)
    labels = merged_labels(read_slice(tmp_path / SLICE, 10))
    assert labels[3] == labels[4] and labels[0] != labels[3]


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [(["a", "a", "b", "b"], (1.0, 1.0, 1.0)), (["a", "b", "c", "d"], (1.0, 0.5, 2.0)),
     (["a", "a", "a", "a"], (0.5, 1.0, 1.0))],
)  # fmt: skip
def test_bcubed_scores_perfect_split_and_lumped_clusterings(
    predicted: list[str], expected: tuple[float, float, float]
) -> None:
    assert bcubed(predicted, ["x", "x", "y", "y"]) == expected


def test_evaluation_writes_its_section_with_every_method(tmp_path: Path) -> None:
    _write_data(tmp_path)
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--data", str(tmp_path), "--scale", "5", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    for method in ("| exact title |", "single-link |", "| StoryIndex (wirewatch) |",
                   "| StoryIndex (wirewatch), de-leaked times |",
                   "| StoryIndex, one bar 0.52 at any age, de-leaked times |"):  # fmt: skip
        assert method in report
    assert "| 5 |" in report and "precision (label 1)" in report
    languages = report.split("reads in them (no feed hint): ", 1)[1].split(".\n", 1)[0]
    counts = [int(part.rsplit(" ", 1)[1]) for part in languages.split(", ")]
    assert sum(counts) == len(ROWS)  # every headline counted once, in the report itself


def test_evaluation_notes_absent_data(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--data", str(tmp_path / "absent"), "--output", str(output)]) == 0
    assert "is absent on this machine" in output.read_text(encoding="utf-8")


def test_rows_after_the_tuned_ones_are_scored_apart(tmp_path: Path) -> None:
    _write_data(tmp_path)
    output = tmp_path / "BENCHMARKS.md"
    argv = ["--data", str(tmp_path), "--rows", "3", "--held-out", "2", "--scale", ""]
    assert main([*argv, "--output", str(output)]) == 0
    held = output.read_text(encoding="utf-8").split("### Held out: rows 4 to 5", 1)[1]
    for method in ("| StoryIndex (wirewatch) |", "(before story wholes) |", "words only"):
        assert method in held.split("\n###", 1)[0]


def test_de_leaked_times_are_seeded_and_follow_each_story_stamp() -> None:
    start = datetime(2014, 3, 10, 12, 0, tzinfo=UTC)
    items = [("c1", start), ("c2", start), ("c1", start + timedelta(seconds=9)), ("c1", start)]
    times = spread_times(items, SPREAD_SEED)
    assert times == spread_times(items, SPREAD_SEED)  # the same in every run
    assert times != spread_times(items, SPREAD_SEED + 1)
    assert all(start < time <= start + timedelta(hours=72) for time in times)
    assert len({times[0], times[2], times[3]}) == 3  # one story's outlets spread apart


def test_de_leaked_clustering_is_given_back_in_the_rows_order(tmp_path: Path) -> None:
    _write_data(tmp_path)
    rows = read_slice(tmp_path / SLICE, 10)
    predicted = spread_index(rows, DedupSettings())
    assert len(predicted) == len(rows) and predicted[0] == predicted[1] != predicted[3]


@pytest.mark.parametrize(("switches", "merges"), [({}, True), ({"merge": False}, False)])
def test_the_no_merge_row_switches_the_late_merge_off_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switches: dict[str, bool], merges: bool
) -> None:
    """The "no merge" row (``merge=False``) replays with neither 0070's merge nor 0093's
    late one: each index it builds has both bars out of reach."""
    built: list[StoryIndex] = []

    def recorded(settings: DedupSettings) -> StoryIndex:
        built.append(story_index_for(settings))
        return built[-1]

    monkeypatch.setattr(dedup_eval, "story_index_for", recorded)
    _write_data(tmp_path)
    spread_index(read_slice(tmp_path / SLICE, 10), DedupSettings(), **switches)
    (index,) = built
    assert math.isfinite(index.late_bar) is merges
    assert math.isfinite(index.merge_bar) is merges
