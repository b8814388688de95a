"""/metrics reports the daemon's process and its parse workers: a daemon (in this process,
as ``wirewatch run`` builds it) parses a loopback feed in a worker process and is scraped
over real HTTP."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitor.config import Config
from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.records import PollStatus
from monitor.web import start_listener
from monitor.web.process_metrics import OwnProcessCollector, resident_bytes
from tests.support.configs import JSON_LOGS_ANY_PORT, one_feed_config
from tests.support.feedserver import FeedServer
from tests.support.processes import HANG_GUARD

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>https://wire.example/</link><description>d</description>
<item><title>Iranian troops reach Latakia airbase</title><guid>w-1</guid>
<link>https://wire.example/1</link></item></channel></rss>"""

PROCESS_SERIES = [
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_cpu_seconds_total",
    "process_start_time_seconds",
    "wirewatch_parse_workers_resident_memory_bytes",
]


def _values(text: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }


@pytest.fixture(name="scraped", scope="module")
def _scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, float]]:
    """One scrape of a daemon whose first poll was parsed in its one worker process (the
    embedding model off: a worker is counted and measured whatever it has loaded)."""
    tmp_path = tmp_path_factory.mktemp("process-metrics")
    tables = f"{JSON_LOGS_ANY_PORT}\n[dedup]\nsemantic = false"
    with FeedServer() as feeds:
        feeds.add_feed("/feed.xml", FEED)
        url = feeds.url("/feed.xml")
        yield asyncio.run(
            _scrape_after_a_poll(load_config(one_feed_config(tmp_path, url, parse_workers=1,
                                                             tables=tables)))
        )  # fmt: skip


async def _scrape_after_a_poll(config: Config) -> dict[str, float]:
    """The daemon's listener serving, one round polled (its workers started first), then
    /metrics scraped."""
    daemon = await Daemon.build(config)
    try:
        assert await start_listener(daemon.listener, config.settings.listener)
        (outcome,) = await daemon.run_once()
        assert (outcome.status, outcome.entries) == (PollStatus.OK, 1), outcome  # parsed
        async with httpx.AsyncClient(timeout=HANG_GUARD) as http:
            response = await http.get(daemon.listener.url + "/metrics")
    finally:
        await daemon.close()
    assert response.status_code == 200
    return _values(response.text)


@pytest.mark.parametrize("name", PROCESS_SERIES)
def test_process_series_are_exposed_with_real_values(scraped: dict[str, float], name: str) -> None:
    assert scraped[name] > 0


def test_the_worker_is_counted_and_the_start_time_is_in_the_past(
    scraped: dict[str, float],
) -> None:
    assert scraped["wirewatch_parse_workers"] == 1
    assert scraped["process_start_time_seconds"] <= time.time()


def _hidden_proc_stat(tmp_path: Path) -> Path:
    """A /proc as systemd's ``ProcSubset=pid`` leaves it: processes, no ``stat`` file."""
    (tmp_path / "self").symlink_to(f"/proc/{os.getpid()}")
    return tmp_path


def test_process_series_survive_a_hidden_proc_stat(tmp_path: Path) -> None:
    """Without /proc/stat the start time comes from the boot clock, not nowhere."""
    ours, real = CollectorRegistry(), CollectorRegistry()
    OwnProcessCollector(proc=str(_hidden_proc_stat(tmp_path)), registry=ours)
    ProcessCollector(registry=real)
    got, expected = (_values(generate_latest(r).decode()) for r in (ours, real))
    assert got.keys() == expected.keys() >= {"process_resident_memory_bytes"}
    # Two clocks measure one instant: agreeing to within a second is agreeing.
    assert got["process_start_time_seconds"] == pytest.approx(
        expected["process_start_time_seconds"], abs=1.0
    )


@pytest.mark.parametrize(
    ("pid", "positive"), [(os.getpid(), True), (2**22 + 1, False)], ids=["alive", "no such pid"]
)
def test_resident_bytes(pid: int, positive: bool) -> None:
    assert (resident_bytes(pid) > 0) is positive
