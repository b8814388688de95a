"""Smoke test of ``bench.slow_host``: the real daemon, the hanging feeds and the report run
end to end in a one-second window, so an API change cannot silently break the benchmark.
No figure is asserted: they depend on the machine."""

from __future__ import annotations

from pathlib import Path

from bench.slow_host import RUNS, main


def test_the_benchmark_writes_its_section_with_every_run(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--window", "1", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    assert "<!-- bench:slow_host start -->" in report
    for run in RUNS:
        assert f"| {run.name} | " in report
