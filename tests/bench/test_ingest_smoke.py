"""Smoke test of ``bench.ingest``: the fresh farm, the daemon runs (semantic on and off, per
workload), the store checks and the report run end to end on a tiny farm, so an API change
cannot silently break the benchmark. No figure is asserted: they depend on the machine."""

from __future__ import annotations

import html
import re
from pathlib import Path

from bench import feedfarm
from bench.dedup_eval import SLICE
from bench.ingest import main
from monitor.config import load_config
from rules import compile_rules

CONFIG = Path(__file__).resolve().parents[2] / "config.example.toml"
# Parsing and the embedding in the daemon's process: the bench's parse pool is the
# daemon's own, tested with it; here it would only start a process for every run.
IN_PROCESS = ("--parse-workers", "0")


# Invented headlines in the data set's layout (ID, TITLE, URL, PUBLISHER, CATEGORY, STORY,
# HOSTNAME, TIMESTAMP): 56 rows, the two cycles of 4 feeds × 7 items; row 3 repeats row 2
# word for word, in the same feed (a copy it stores once). One topic in four fires the
# bench's watch set (bench/ingest_watch.toml), none the example config's rules.
TOPICS = ("Harbour cranes & dockers", "Crimea referendum", "Orchard frost", "Glacier survey")
HEADLINES = [f"{TOPICS[n % 4]} report number {n} from the valley desk" for n in range(56)]
HEADLINES[3] = HEADLINES[2]


def _data_set(folder: Path) -> Path:
    (folder / "news-story-clusters").mkdir(parents=True)
    rows = "".join(f"{n + 1}\t{title}\thttp://desk.test/{n}\tDesk\tb\ts{n % 4}\tdesk.test\t0\n"
                   for n, title in enumerate(HEADLINES))  # fmt: skip
    (folder / SLICE).write_text("ID\tTITLE\tURL\tPUBLISHER\tCATEGORY\tSTORY\n" + rows)
    return folder


def _rows(report: str, workload: str) -> dict[str, tuple[int, int]]:
    """(new articles stored, alerts stored) of each path of one workload's rows."""
    found = re.findall(rf"^\| {re.escape(workload)} \| (semantic = \w+)[^|]*\| (\d+) \| (\d+) \|",
                       report, re.MULTILINE)  # fmt: skip
    return {path: (int(stored), int(alerts)) for path, stored, alerts in found}


def test_the_benchmark_measures_real_headlines_with_both_rule_sets_and_synthetic_ones(
    tmp_path: Path,
) -> None:
    output = tmp_path / "BENCHMARKS.md"
    data = _data_set(tmp_path / "data")
    argv = ["--feeds", "4", "--items", "7", "--hosts", "2", "--data", str(data),
            "--output", str(output), *IN_PROCESS]  # fmt: skip

    assert main(argv) == 0

    report = output.read_text(encoding="utf-8")
    assert "<!-- bench:ingest start -->" in report
    assert "<!-- bench:ingest end -->" in report
    synthetic = _rows(report, "synthetic")
    assert set(synthetic) == {"semantic = true", "semantic = false"}
    assert all(stored == 28 and alerts > 0 for stored, alerts in synthetic.values())
    # the second cycle's 28 real headlines (rows 29-56), each stored
    assert _rows(report, "real") == {"semantic = true": (28, 0), "semantic = false": (28, 0)}
    watched = _rows(report, "real, watched")  # the same headlines, the bench's watch set
    assert set(watched) == {"semantic = true", "semantic = false"}
    assert all(stored == 28 and alerts > 0 for stored, alerts in watched.values())
    # the synthetic alerts for the webhook reached the receiver: nothing left pending
    outbox = re.findall(r"^\| 1 \| synthetic \| semantic = \w+ \| (\d+) \| (\d+) \| (\d+) \|",
                        report, re.MULTILINE)  # fmt: skip
    assert len(outbox) == 2 and all(int(sent) > 0 and pending == "0" for _, sent, pending in outbox)
    assert str(data / SLICE) in report
    for workload in ("real", "real, watched", "synthetic"):
        assert re.search(rf"- {workload} headlines [^:]*: articles/s \*\*[\d,]+\*\* with the "
                         r"embedding \(≥ 400: (met|NOT met)\); \*\*[\d,]+\*\* without it "
                         r"\(≥ 1,000: (met|NOT met)\)", report)  # fmt: skip


def test_without_the_data_set_the_synthetic_headlines_are_measured_and_it_is_said(
    tmp_path: Path,
) -> None:
    """On one path (the embedding off): both paths of the synthetic workload are the
    first test's; the fallback to it is the same on either."""
    output = tmp_path / "BENCHMARKS.md"
    argv = ["--feeds", "2", "--items", "3", "--hosts", "1", "--data", str(tmp_path / "none"),
            "--semantic", "off", "--output", str(output), *IN_PROCESS]  # fmt: skip

    assert main(argv) == 0

    report = output.read_text(encoding="utf-8")
    assert f"**Real headlines not measured**: {tmp_path / 'none' / SLICE} is absent" in report
    assert set(_rows(report, "synthetic")) == {"semantic = false"}
    assert not _rows(report, "real")
    assert not _rows(report, "real, watched")


def test_one_workload_on_one_path_is_measured_when_asked(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    data = _data_set(tmp_path / "data")
    argv = ["--feeds", "4", "--items", "7", "--hosts", "2", "--data", str(data),
            "--headlines", "watched", "--semantic", "off", "--output", str(output),
            *IN_PROCESS]  # fmt: skip

    assert main(argv) == 0

    report = output.read_text(encoding="utf-8")
    assert set(_rows(report, "real, watched")) == {"semantic = false"}
    assert not _rows(report, "real") and not _rows(report, "synthetic")
    assert "--headlines watched --semantic off" in report
    assert "No run had the embedding on (`--semantic off`)" in report


def test_a_real_headline_farm_serves_consecutive_rows_escaped_newest_first() -> None:
    """Cycle 1 serves rows 0-27 (7 consecutive ones a feed), cycle 2 rows 28-55."""
    for cycle in (1, 2):
        for feed in range(4):
            body = feedfarm.fresh_body(feed, cycle, 7, HEADLINES, 4).decode()
            titles = [html.unescape(title) for title in re.findall(r"<item><title>([^<]*)<", body)]
            first = (cycle - 1) * 28 + feed * 7
            assert titles == HEADLINES[first : first + 7][::-1]
    assert "Harbour cranes &amp; dockers" in feedfarm.fresh_body(0, 1, 7, HEADLINES, 4).decode()


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
