"""Smoke test of ``bench.ingest``: the fresh farm, both daemon runs (semantic on and off),
the store checks and the report run end to end on a tiny farm, so an API change cannot
silently break the benchmark. No figure is asserted: they depend on the machine."""

from __future__ import annotations

import re
from pathlib import Path

from bench import feedfarm
from bench.ingest import main
from monitor.config import load_config
from rules import compile_rules

CONFIG = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_the_benchmark_writes_its_section_with_both_runs(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    argv = ["--feeds", "4", "--items", "7", "--hosts", "2", "--output", str(output)]

    assert main(argv) == 0

    report = output.read_text(encoding="utf-8")
    assert "<!-- bench:ingest start -->" in report
    assert "<!-- bench:ingest end -->" in report
    for path in ("semantic = true", "semantic = false"):
        found = re.search(rf"^\| {path} [^|]*\| 28 \| (\d+) \|", report, re.MULTILINE)
        assert found is not None, f"no row of 28 new articles for {path}"
        assert int(found.group(1)) > 0, f"no alert stored for {path}"
    assert re.search(r"with the embedding included: \*\*[\d,]+\*\* — (met|NOT met)", report)


def test_a_fresh_farm_lists_only_new_items_and_some_fire_the_watch_rules() -> None:
    """Every cycle of a fresh farm is all new items; about one in 14 fires a rule."""
    matcher = compile_rules(load_config(CONFIG).ruleset)
    guids = [set(re.findall(r"<guid>([^<]+)</guid>", feedfarm.fresh_body(3, cycle, 20).decode()))
             for cycle in (1, 2)]  # fmt: skip
    titles = [feedfarm.fresh_title(feed, number) for feed in range(10) for number in range(14)]

    assert [len(cycle) for cycle in guids] == [20, 20]
    assert not guids[0] & guids[1]
    assert feedfarm.fresh_body(3, 1, 20) == feedfarm.fresh_body(3, 1, 20)
    firing = [title for title in titles if matcher.match({"title": title})]
    assert len(firing) == 10
