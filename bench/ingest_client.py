"""The measured side of ``bench.ingest``: one daemon, warm-up then measured poll cycles.

    python -m bench.ingest_client CONFIG RULES_CONFIG WARMUP CYCLES [PROFILE]

In a fresh interpreter (its RSS is the daemon's alone), ``Daemon.run_once`` polls every
feed once per cycle; before each cycle the fresh farm is moved on (every feed then lists
only new items), outside the timing. The warm-up cycles load what a running daemon has
loaded (parse workers, the embedding model, the rules) and fill the story window. Prints
one JSON line: the measured cycles' wall time (the sum of their ``run_once`` calls), CPU
of the daemon and of its parse workers over them, peak RSS of each, and the store's rows
counted after the warm-up and after the measured cycles (and the entries ingested, new
articles and copies seen), and the outbox after each measured cycle (alerts, deliveries
sent and still pending: ``per_cycle``). With PROFILE, the measured
cycles run under cProfile and its statistics are written there.
"""

from __future__ import annotations

import cProfile
import dataclasses
import json
import resource
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.poll import set_cycle
from bench.poll_client import new_articles, worker_stats
from monitor.config.settings import Config, load_config
from monitor.daemon.daemon import Daemon
from monitor.daemon.event_loop import run_in_loop
from monitor.observability.logs import configure_logging

COUNTS = {
    "articles": "SELECT count(*) FROM articles",
    "embedded": "SELECT count(*) FROM articles WHERE length(embedding) = 1024",
    "alerts": "SELECT count(*) FROM alerts",
    "alerted": "SELECT count(DISTINCT story_id) FROM alerts",
    "stories": "SELECT count(*) FROM stories",
    "deliveries": "SELECT count(*) FROM deliveries",
    "sent": "SELECT count(*) FROM deliveries WHERE state = 'sent'",
    "pending": "SELECT count(*) FROM deliveries WHERE state = 'pending'",
}


def store_counts(db_path: str) -> dict[str, int]:
    """Rows in the store now, read through a separate read-only connection."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        return {name: int(db.execute(query).fetchone()[0]) for name, query in COUNTS.items()}


async def measure_cycles(
    config: Config, warmup: int, cycles: int, profile: Path | None = None
) -> dict[str, Any]:
    daemon = await Daemon.build(config)
    try:
        for cycle in range(1, warmup + 1):
            _advance(config, cycle)
            await daemon.run_once()
        before = store_counts(config.settings.store.path)
        measured = await _measured(daemon, config, range(warmup + 1, warmup + cycles + 1), profile)
        measured["before"], measured["after"] = before, store_counts(config.settings.store.path)
    finally:
        await daemon.close()
    return measured


async def _measured(
    daemon: Daemon, config: Config, cycles: range, profile: Path | None
) -> dict[str, Any]:
    """The cycles' ``run_once`` calls, timed one by one; the farm moves on between them."""
    profiler = cProfile.Profile() if profile else None
    _, worker_cpu, _ = worker_stats(daemon)
    cpu, wall, articles, entries = time.process_time(), 0.0, 0, 0
    outcomes = Counter[str]()
    per_cycle = []
    for cycle in cycles:
        _advance(config, cycle)
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        done = await daemon.run_once()
        if profiler:
            profiler.disable()
        wall += time.perf_counter() - started
        articles += new_articles(done)
        entries += sum(len(outcome.ingested) for outcome in done)
        outcomes.update(outcome.status for outcome in done)
        counted = time.process_time()
        per_cycle.append(store_counts(config.settings.store.path))  # the outbox, untimed
        cpu += time.process_time() - counted
    cpu = time.process_time() - cpu
    workers, worker_cpu_after, worker_rss = worker_stats(daemon)
    if profiler and profile:
        profiler.dump_stats(profile)
    return {
        "wall": wall,
        "cpu": cpu,
        "workers": workers,
        "worker_cpu": worker_cpu_after - worker_cpu,
        "worker_rss_mb": worker_rss,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "outcomes": dict(outcomes),
        "articles": articles,
        "entries": entries,  # new and seen (a feed repeating a headline of its own)
        "per_cycle": per_cycle,
    }


def _advance(config: Config, cycle: int) -> None:
    set_cycle(config.feeds[0].url, cycle)  # the farm renders the cycle's feeds now


def main(argv: list[str]) -> int:
    config_path, rules_path, warmup, cycles, *profile = argv
    configure_logging("warning", "json")
    config = dataclasses.replace(load_config(config_path), ruleset=load_config(rules_path).ruleset)
    profile_path = Path(profile[0]) if profile else None
    measured = run_in_loop(
        measure_cycles(config, int(warmup), int(cycles), profile_path),
        config.settings.daemon.event_loop,
    )
    print(json.dumps(measured))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
