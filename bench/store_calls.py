"""What a poll cycle's store calls cost the daemon on PostgreSQL, this code against a
baseline commit in the same run (docs/decisions/0075).

For each of ``--feeds`` feeds with a stored story, one after another as the ingest's
serial path runs them: the lookup of two new articles, their write (one opens a story,
one joins the stored one; both planned for alerts) and the feed's state; then every
feed's state saved at once, as a cycle of 304s reaches the group commit. Each
measurement runs in a fresh process on a fresh schema (``bench/store_calls_child.py``,
the code measured on its ``PYTHONPATH``), and the codes take turns ``--rounds`` times;
medians are reported. Needs ``WIREWATCH_BENCH_POSTGRES_URL`` (or ``--url``).

    python -m bench.store_calls --baseline <commit>
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.scaleout import baseline_tree
from bench.scaleout_databases import fresh_schema
from bench.sections import markdown_table, write_section

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).with_name("store_calls_child.py")
COLUMNS = [
    ("new_cpu_ms", "ms CPU a feed, 2 new", "{:.2f}"),
    ("new_wall_ms", "ms wall a feed, 2 new", "{:.2f}"),
    ("new_statements", "statements a feed, 2 new", "{:.0f}"),
    ("new_round_trips", "round trips a feed, 2 new", "{:.1f}"),
    ("unchanged_cpu_ms", "ms CPU a 304", "{:.3f}"),
    ("unchanged_statements", "statements, all 304s", "{:.0f}"),
    ("unchanged_round_trips", "round trips, all 304s", "{:.0f}"),
]


def measure(url: str, tree: Path, feeds: int) -> dict[str, float]:
    with fresh_schema(url) as schema_url:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        done = subprocess.run([sys.executable, str(CHILD), schema_url, str(feeds)], env=env,
                              check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(results: dict[str, list[dict[str, float]]], feeds: int, load: str) -> str:
    rows = []
    for code, runs in results.items():
        medians = [statistics.median(run[key] for run in runs) for key, _, _ in COLUMNS]
        rows.append([code, *(form.format(value) for value, (_, _, form) in
                             zip(medians, COLUMNS, strict=True))])  # fmt: skip
    table = markdown_table(["code", *(title for _, title, _ in COLUMNS)], rows, "l" + "r" * 7)
    rounds = len(next(iter(results.values())))
    return "\n".join([
        "## PostgreSQL store calls per feed (`python -m bench.store_calls`)", "",
        f"{feeds} feeds, each with two new articles (one opens a story, one joins the "
        "feed's stored story; both planned for alerts): lookup, write and feed state, one "
        "feed after another; then every feed's 304 state saved at once (the group "
        f"commit). CPU of the measuring process (the daemon's side); medians of {rounds} "
        "round(s), codes taking turns, each in a fresh process and schema. A round trip "
        f"is a wait for the server's answer. Load average at the start: {load}.", "",
        *table,
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="a git commit measured beside this code")
    parser.add_argument("--url", default=os.environ.get("WIREWATCH_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("a PostgreSQL URL is needed: --url or WIREWATCH_BENCH_POSTGRES_URL")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    results: dict[str, list[dict[str, float]]] = {}
    with baseline_tree(args.baseline) as tree:
        codes = ([("baseline " + args.baseline, tree)] if tree else []) + [("this", ROOT)]
        for _ in range(args.rounds):
            for name, path in codes:
                assert path is not None
                results.setdefault(name, []).append(measure(args.url, path, args.feeds))
                print(name, json.dumps(results[name][-1]), flush=True)
    section = report(results, args.feeds, load)
    print(section)
    if not args.no_write:
        write_section(args.output, "store_calls", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
