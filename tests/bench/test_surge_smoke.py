"""Smoke test of ``bench.surge`` on a small made-up file in the data set's format (the
suite never needs the real data): it runs end to end, detects, and writes its section."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bench.surge import main

START_MS = 1_394_470_000_000  # 2014-03-10, as the data set starts


def _data(folder: Path) -> Path:
    """Twenty days of stories from 40 publishers, in the data set's eight columns."""
    lines, row = [], 0
    for story in range(20 * 24):
        for outlet in range(story % 7 + 1):
            row += 1
            stamp = START_MS + story * 3_600_000
            title = f"Story {story} about Company{story % 30} results"
            lines.append(f"{row}\t{title}\thttp://x\tPublisher {(story + outlet) % 40}\tb\t"
                         f"s{story}\tx.test\t{stamp}")  # fmt: skip
    folder.mkdir()
    with gzip.open(folder / "newsCorpora.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return folder


def test_the_benchmark_writes_its_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--data", str(_data(tmp_path / "data")), "--events", "20",
                 "--output", str(output)]) == 0  # fmt: skip
    written = output.read_text(encoding="utf-8")
    assert "<!-- bench:surge start -->" in written
    detector = next(line for line in written.splitlines() if line.startswith("| detector"))
    baseline = next(line for line in written.splitlines() if line.startswith("| baseline"))
    assert "/4 |" in detector and "/4 |" in baseline  # four events of each kind
    assert detector.split(" | ")[1] == "whole"  # then each half: tuned on, held out
    assert detector.split(" | ")[5] == "0/4"  # no slow rise fires
    held_out = [line for line in written.splitlines() if "| second half (held out) |" in line]
    assert len(held_out) == 2  # the detector and the baseline
    assert capsys.readouterr().out.startswith("## Surge detection")


def test_without_the_data_it_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--data", str(tmp_path / "absent"), "--output", str(output)]) == 0
    assert "no data" in capsys.readouterr().out and not output.exists()
