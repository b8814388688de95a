"""Smoke test of the benchmark: it runs end to end on a small corpus and reports both paths.

No timing is asserted: figures depend on the machine. The tests check the report's shape,
the corpus's determinism, and that the two paths agree where they must.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bench.clusters import SLICE_FILE, measure
from bench.paths import (
    headline_names,
    naive_path,
    plain_counting_path,
    surge_path,
    wirewatch_path,
)
from bench.pipeline import main
from bench.synthetic import Vocabulary, generate_corpus
from monitor.config.settings import DedupSettings, load_config
from monitor.records.models import Verdict

CONFIG = Path(__file__).resolve().parents[2] / "config.example.toml"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.from_ruleset(load_config(CONFIG).ruleset)


def _rate(report: str, path: str) -> float:
    found = re.search(rf"^\| {path} \| ([\d,]+) \| ([\d,]+) \|$", report, re.MULTILINE)
    assert found is not None, f"no throughput row for {path}"
    return float(found.group(1).replace(",", ""))


def test_benchmark_writes_a_report_with_both_throughputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bench.pipeline` writes Markdown with wirewatch and baseline articles/s."""
    output = tmp_path / "docs" / "BENCHMARKS.md"
    argv = ["--articles", "48", "--repeat", "1", "--surge-repeat", "1", "--output", str(output),
            "--config", str(CONFIG), "--clusters", str(tmp_path / "absent")]  # fmt: skip

    assert main(argv) == 0

    report = output.read_text(encoding="utf-8")
    assert _rate(report, "wirewatch") > 0
    assert _rate(report, "naive baseline") > 0
    assert "Speed-up: **" in report
    for size in ("| 12 |", "| 24 |", "| 48 |"):  # the scaling sizes: 1/4, 1/2, all
        assert size in report
    assert "Peak traced memory" in report
    for batch in ("| 1 |", "| 5 |", "| 20 |"):  # surge counting, per articles a count
        assert batch in report
    assert "µs a count for a poll let go alone" in report
    assert "added per article as *with the\nstage on the loop*" in report
    assert "alternated, best of 1." in report  # --surge-repeat
    assert "is absent on this machine" in report
    assert f"wrote {output}" in capsys.readouterr().out


@pytest.mark.parametrize("articles", [0, 3])
def test_benchmark_refuses_a_corpus_too_small_to_scale(tmp_path: Path, articles: int) -> None:
    """Fewer than four articles cannot be split into the 1/4, 1/2, 1 scaling sizes."""
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--articles", str(articles), "--output", str(output)]) == 2
    assert not output.exists()


def test_corpus_is_deterministic_and_mixes_every_kind(vocabulary: Vocabulary) -> None:
    """The same size and seed give the same items; copies are about 30 % of them."""
    first = generate_corpus(1_000, vocabulary)

    assert first == generate_corpus(1_000, vocabulary)
    kinds = Counter(item.kind for item in first)
    assert set(kinds) == {"war", "other", "copy", "repeat", "relink"}
    assert 250 <= kinds["copy"] <= 350
    assert first != generate_corpus(1_000, vocabulary, seed=7)


def test_both_paths_fire_the_same_rules_and_see_the_same_repeats(vocabulary: Vocabulary) -> None:
    """On plain-ASCII synthetic text the regex baseline and the trie fire identical rules."""
    config = load_config(CONFIG)
    items = generate_corpus(200, vocabulary)

    fast = wirewatch_path(config.ruleset, config.settings.dedup).run(items)
    naive = naive_path(config.ruleset, config.settings.dedup).run(items)

    assert [o.rules for o in fast] == [o.rules for o in naive]
    assert [o.verdict for o in fast].count(Verdict.SEEN) == Counter(i.kind for i in items)["repeat"]
    assert any(o.rules for o in fast)


@pytest.mark.parametrize("batch", [1, 7])
def test_the_surge_timing_paths_decide_as_the_wirewatch_path(
    vocabulary: Vocabulary, batch: int
) -> None:
    """With surges off and on (``batch`` articles a count), the timed paths make the
    wirewatch path's decisions: the two runs differ by the counting alone."""
    config = load_config(CONFIG)
    ruleset, dedup = config.ruleset, config.settings.dedup
    items = generate_corpus(200, vocabulary)
    names = headline_names(items)

    fast = wirewatch_path(ruleset, dedup).run(items)
    plain = plain_counting_path(ruleset, dedup, names)
    surges = surge_path(ruleset, dedup, names, batch)

    assert plain.run(items) == fast
    assert surges.run(items) == fast


def test_cluster_precision_counts_folds_into_the_right_cluster(tmp_path: Path) -> None:
    """A near-identical headline of the same cluster is a correct fold; others stay apart."""
    rows = [
        ("1", "Harbour city council approves new tram line for eastern suburbs", "c1"),
        ("2", "UPDATE 1-Harbour city council approves new tram line for eastern suburbs", "c1"),
        ("3", "Lakeview bakery wins regional award for sourdough", "c2"),
        ("4", "Tram line plan divides residents in the east of the city", "c1"),
    ]
    lines = ["ID\tTITLE\tURL\tPUBLISHER\tCATEGORY\tSTORY\tHOSTNAME\tTIMESTAMP"]
    lines += [f"{i}\t{title}\thttp://x.example/{i}\tP\tb\t{story}\tx.example\t1394470370698"
              for i, title, story in rows]  # fmt: skip
    (tmp_path / SLICE_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = measure(tmp_path, 10, DedupSettings())

    assert (result.rows, result.clusters) == (4, 2)
    assert (result.index.folds, result.index.correct, result.index.repeats) == (1, 1, 2)
    assert result.index.precision == 1.0
    assert result.agreeing_rows == 4
