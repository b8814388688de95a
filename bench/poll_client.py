"""The measured side of ``bench.poll``: one ``Daemon.run_once`` in a fresh interpreter.

    python -m bench.poll_client CONFIG RULES_CONFIG

Prints one JSON line: wall and CPU seconds, peak RSS of the daemon process and of each
parse worker (read from /proc before the pool shuts down), outcomes by status.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from monitor.config.settings import Config, load_config
from monitor.daemon.daemon import Daemon
from monitor.daemon.event_loop import run_in_loop
from monitor.ingest import PollOutcome
from monitor.observability.logs import configure_logging
from monitor.records.models import Verdict


def worker_stats(daemon: Daemon) -> tuple[int, float, float]:
    """(workers, CPU seconds of all, largest peak RSS in MB), from /proc (Linux)."""
    executor = daemon.polling.parse_executor
    pids = executor.worker_pids() if executor is not None else ()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu, peak = 0.0, 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return len(pids), cpu, peak


async def measure_cycle(config: Config) -> dict[str, Any]:
    daemon = await Daemon.build(config)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = await daemon.run_once()
        wall, cpu_used = time.perf_counter() - started, time.process_time() - cpu
        workers, worker_cpu, worker_rss = worker_stats(daemon)
    finally:
        await daemon.close()
    return {
        "wall": wall,
        "cpu": cpu_used,
        "workers": workers,
        "worker_cpu": worker_cpu,
        "worker_rss_mb": worker_rss,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "outcomes": dict(Counter(outcome.status for outcome in outcomes)),
        "articles": new_articles(outcomes),
    }


def new_articles(outcomes: Iterable[PollOutcome]) -> int:
    """Articles the polls found new (not seen before)."""
    return sum(
        1
        for outcome in outcomes
        for item in outcome.ingested
        if item.decision.verdict is not Verdict.SEEN
    )


def main(argv: list[str]) -> int:
    config_path, rules_path = argv
    configure_logging("warning", "json")
    config = dataclasses.replace(load_config(config_path), ruleset=load_config(rules_path).ruleset)
    print(json.dumps(run_in_loop(measure_cycle(config), config.settings.daemon.event_loop)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
