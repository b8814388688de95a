"""Smoke test of ``bench.extract`` on two pages written here (the suite never needs the
real pages): it reads the benchmark's layout, scores every extractor and writes its
section; and with no data it says so and leaves the report alone."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bench.extract import EXTRACTORS, main
from bench.extract_metric import Scores, page_counts
from tests.support.articles import ENGLISH, RUSSIAN, article_page

PAGES = {"a1": (ENGLISH, "en"), "b2": (RUSSIAN, "ru")}


def _write_data(root: Path) -> Path:
    (root / "html").mkdir(parents=True)
    truth = {}
    for key, (paragraphs, lang) in PAGES.items():
        html = article_page(paragraphs, lang=lang).encode()
        (root / "html" / f"{key}.html.gz").write_bytes(gzip.compress(html))
        truth[key] = {"url": f"https://example.org/{key}", "articleBody": "\n\n".join(paragraphs)}
    (root / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return root


def test_the_benchmark_scores_every_extractor_and_writes_its_section(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--data", str(_write_data(tmp_path / "data")), "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    assert "<!-- bench:extract start -->" in report
    assert "| wirewatch | 1.000 | 1.000 | 1.000 |" in report
    for name in EXTRACTORS:
        assert f"| {name} | " in report
    assert "No page scores under F1 0.8 with wirewatch." in report


def test_absent_data_is_reported_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--data", str(tmp_path / "none"), "--output", str(output)]) == 0
    assert "is absent" in capsys.readouterr().err
    assert not output.exists()


@pytest.mark.parametrize(
    ("true", "predicted", "precision", "recall"),
    [
        ("one two three four five", "one two three four five", 1.0, 1.0),
        ("one two three four five", "one two three four", 1.0, 0.5),  # 1 of 2 true shingles
        ("one two three four", "zero one two three four", 0.5, 1.0),
        ("alpha beta gamma delta", "", 0.0, 0.0),
    ],
    ids=["same", "missing-a-word", "an-extra-word", "nothing-found"],
)
def test_the_metric_counts_four_word_shingles(
    true: str, predicted: str, precision: float, recall: float
) -> None:
    scores = Scores.of([page_counts(true, predicted)])
    assert scores.precision == pytest.approx(precision)
    assert scores.recall == pytest.approx(recall)
