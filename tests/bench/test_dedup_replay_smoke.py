"""Smoke test of the grouping-replay comparison on a few invented rows (no real data needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import dedup_replay
from bench.dedup_eval import SLICE

ROOT = Path(__file__).resolve().parents[2]
HEADER = "ID\tTITLE\tURL\tPUBLISHER\tCATEGORY\tSTORY\tHOSTNAME\tTIMESTAMP"
TITLES = [
    "Harbour council approves new tram line for eastern suburbs",
    "UPDATE 1-Harbour council approves new tram line for eastern suburbs",
    "Harbour council backs eastern tram line after long debate",
    "Lakeview bakery wins regional award for sourdough",
    "Lakeview bakery wins regional award for its sourdough",
]


def _write_slice(root: Path) -> None:
    lines = [HEADER] + [
        f"{number}\t{title}\thttp://x.example/{number}\tP\tb\tc{number // 3}\tx.example\t"
        f"{1394470370698 + number * 60_000}"
        for number, title in enumerate(TITLES, start=1)
    ]
    (root / SLICE).parent.mkdir(parents=True)
    (root / SLICE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_same_code_in_a_child_process_decides_every_article_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_slice(tmp_path)
    argv = ["--against", str(ROOT), "--rows", "3", "--held-out", "2", "--data", str(tmp_path)]
    assert dedup_replay.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all(line.endswith(": 0 differ") for line in lines)
    assert lines[0].startswith("tuned, ID order") and "3 articles" in lines[0]


def test_an_article_that_joins_by_other_evidence_fails_the_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_slice(tmp_path)

    def other_code(
        checkout: Path, replays: list[dedup_replay.Case]
    ) -> list[list[dedup_replay.Decision]]:
        decided = [dedup_replay.replay(rows) for _, rows in replays]
        story, _kind, score = decided[0][1]
        decided[0][1] = (story, "semantic", score)  # the second article, another evidence
        return decided

    monkeypatch.setattr(dedup_replay, "theirs", other_code)  # the child process's seam
    argv = ["--against", str(ROOT), "--rows", "3", "--held-out", "0", "--data", str(tmp_path)]
    assert dedup_replay.main(argv) == 1
    out = capsys.readouterr().out
    assert "tuned, ID order" in out and ": 1 differ" in out and "article 1:" in out


def test_differences_name_the_articles_whose_story_evidence_or_score_moved() -> None:
    before = [("s1", "", 0.0), ("s1", "related", 51.0), ("s3", "", 0.0)]
    after = [("s1", "", 0.0), ("s1", "related", 51.5), ("s1", "semantic", 60.0)]
    assert dedup_replay.differences(after, before) == [1, 2]
