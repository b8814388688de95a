"""Smoke test of bench.match: it runs end to end on tiny sizes and writes its section.

No timing is asserted (figures depend on the machine); the report's shape is, and the
two matchers must fire the same rules on the synthetic corpus.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import rules
from bench.match import RegexBaseline, main
from bench.match_corpus import make_articles, make_ruleset, with_diacritics


def test_benchmark_writes_its_section_beside_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text(
        "# Benchmarks\n\n<!-- bench:pipeline start -->\nkept\n<!-- bench:pipeline end -->\n"
    )
    argv = ["--rules", "2,20", "--articles", "40", "--repeat", "1", "--baseline-seconds", "0",
            "--data", str(tmp_path / "absent"), "--today", "none",
            "--output", str(output)]  # fmt: skip
    assert main(argv) == 0
    report = output.read_text(encoding="utf-8")
    assert "kept" in report and "<!-- bench:match start -->" in report
    assert "| 20 | 200 |" in report
    assert "### Against the targets" in report
    assert "| Arabic | " in report and "| Mixed-script | " in report
    assert "**Russian**: synthetic" in report  # no shared data here: said, not hidden
    assert "not measured in this run" in report
    assert f"wrote {output}" in capsys.readouterr().out


def test_corpus_is_deterministic_and_the_baseline_agrees() -> None:
    ruleset = make_ruleset(30)
    articles = make_articles(ruleset, 200)
    assert articles == make_articles(make_ruleset(30), 200)
    matcher, baseline = rules.compile_rules(ruleset), RegexBaseline(ruleset)
    fired = [tuple(m.rule for m in matcher.match(a.fields)) for a in articles]
    assert fired == [baseline.match(a.fields) for a in articles]
    assert 5 <= sum(map(bool, fired)) <= 60
    accented = [with_diacritics(a) for a in articles]
    assert [tuple(m.rule for m in matcher.match(a.fields)) for a in accented] == fired


@pytest.mark.parametrize("argv", [["--rules", "0"], ["--articles", "5"]])
def test_benchmark_refuses_empty_sizes(tmp_path: Path, argv: list[str]) -> None:
    assert main([*argv, "--output", str(tmp_path / "B.md")]) == 2
