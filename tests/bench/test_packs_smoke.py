"""bench.packs on a few invented headlines: it measures both packs, writes its section,
notes absent data, and the labels it ships are ids and labels only, one per row."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest

from bench.packs import FULL, LABELS, main
from bench.packs_frame import HELD_OUT_SEED, SAMPLE_SIZES, TUNING_SEED, stratum

HEADLINES = [
    ("Russian jets strike north of Homs", 1),
    ("Iraq violence lifts oil prices", 1),
    ("Militants close in on Baghdad", 1),
    ("Lufthansa pilots strike, flights cancelled", 0),
    ("Mickey Rooney dead at 93", 0),
    ("Apple unveils a new iPad", 0),
    ("Ukraine separatists seize TV centre", 1),
    ("Star Wars cast announced", 0),
]


def _write_data(root: Path) -> Path:
    lines = [
        f"{number}\t{title}\thttp://x.example/{number}\tP\tb\tS{number}\tx.example\t1\n"
        for number, (title, _) in enumerate(HEADLINES, start=1)
    ]
    (root / FULL).parent.mkdir(parents=True)
    with gzip.open(root / FULL, "wt", encoding="utf-8") as handle:
        handle.writelines(lines)
    labels = root / "labels.csv"
    rows = [
        f"{number},{sample},{conflict}"
        for sample in ("tuning", "held-out")
        for number, (_, conflict) in enumerate(HEADLINES, start=1)
    ]
    labels.write_text("id,sample,conflict\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return labels


def test_benchmark_measures_both_packs_and_writes_its_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels, output = _write_data(tmp_path), tmp_path / "BENCHMARKS.md"
    output.write_text(
        "# Benchmarks\n\n<!-- bench:match start -->\nkept\n<!-- bench:match end -->\n"
    )
    assert main(["--data", str(tmp_path), "--labels", str(labels), "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    assert "kept" in report and "<!-- bench:packs start -->" in report
    assert "| tuning | 8 | 4 |" in report and "| held-out | 8 | 4 |" in report
    assert (
        "| **conflict-escalation** | 1 | 4 |" in report
    )  # "dead", then jets, militants, separatists
    assert "| `jets strike` | 1 |" in report
    assert "conflict-escalation: fires on 1 → 4 headlines" in capsys.readouterr().out


def test_benchmark_notes_absent_data(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--data", str(tmp_path / "absent"), "--output", str(output)]) == 0
    assert "is absent on this machine" in output.read_text(encoding="utf-8")


def test_draw_prints_a_sample_to_label_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_data(tmp_path)
    assert (
        main(
            [
                "--data",
                str(tmp_path),
                "--draw",
                str(HELD_OUT_SEED),
                "--output",
                str(tmp_path / "B.md"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out.splitlines()
    assert not (tmp_path / "B.md").exists()
    assert printed == []  # every row is already in the tuning sample of this tiny file
    main(["--data", str(tmp_path), "--draw", str(TUNING_SEED)])
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert sorted(int(row[0]) for row in rows) == list(range(1, len(HEADLINES) + 1))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Iraq fighting lifts oil", 1),
        ("Troops move to the border", 2),
        ("Gold rises on Ukraine", 3),
        ("Taxi drivers strike in London", 4),
        ("Apple unveils a new iPad", 5),
    ],
)
def test_frame_puts_each_headline_in_one_stratum(title: str, expected: int) -> None:
    assert stratum(title) == expected


def test_shipped_labels_are_ids_and_labels_of_two_disjoint_samples() -> None:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert set(rows[0]) == {"id", "sample", "conflict"}
    assert Counter(row["sample"] for row in rows) == {
        "tuning": sum(SAMPLE_SIZES.values()),
        "held-out": sum(SAMPLE_SIZES.values()),
    }
    assert {row["conflict"] for row in rows} == {"0", "1"}
    ids = [int(row["id"]) for row in rows]
    assert len(ids) == len(set(ids)) and all(1 <= row_id <= 422_937 for row_id in ids)
