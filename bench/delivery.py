"""Delivery to one loopback webhook: deliveries/s by per-notifier concurrency.

    python -m bench.delivery [--alerts 2000] [--levels 1,4,8,16,32] [--delays 0,25]
                             [--backends sqlite,postgres] [--overload-seconds 10]
                             [--output docs/BENCHMARKS.md]

A webhook receiver in its own process (``bench.delivery_receiver``) answers every POST
with 200, at once (the fast loopback webhook) or after each of ``--delays`` ms (a
service across a network). For each delay, backend and concurrency level, a fresh store holds
``--alerts`` pending alerts (one story each) for the real webhook notifier, and the
dispatcher drains them (``Dispatcher.finish``) with ``[alerting.routes.hook] concurrency``
at that level; concurrency 1 is the one-at-a-time path, the same-run baseline. The run
stops without writing unless every alert reached the receiver once (distinct
Idempotency-Keys) and the store reads every delivery as sent.

The overload case (fast receiver) runs beside the drain, in the same event loop, an ingest stand-in
writing 800 new articles/s to the store (in ten batches a second, one in five with an
alert for the webhook: 160 alerts/s) for ``--overload-seconds``, at the default
concurrency, and samples the receiver and the outbox every second: the lowest
per-second delivery rate over the seconds that began with at least TARGET deliveries
pending (a backlog to drain: once it is gone, deliveries can only follow the 160 alerts/s
arriving) is reported beside the mean. It is a stand-in for ``bench.ingest``'s farm:
the store calls of the daemon's ingest for each batch (``known_guids``,
``find_articles``, ``record_articles``) and their share of the event loop, not fetch,
parse, grouping or matching.

PostgreSQL: ``WIREWATCH_BENCH_POSTGRES_URL`` (else ``WIREWATCH_TEST_POSTGRES_URL``), a
fresh schema per run; skipped when neither is set.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

import notifiers
from bench.delivery_report import ALERT_EVERY, INGEST_RATE, TARGET, Overload, Run, render
from bench.poll import ROOT
from bench.scaleout import postgres_url
from bench.scaleout_databases import fresh_schema
from bench.sections import write_section
from monitor.alerting import Dispatcher
from monitor.config.alerting import DEFAULT_CONCURRENCY, RouteSettings
from monitor.config.settings import DaemonSettings, StoreSettings
from monitor.feeds import http_client
from monitor.observability import Redactor
from monitor.observability.logs import configure_logging
from monitor.records import AlertRecord, Article, DedupDecision, Verdict
from monitor.store import ArticleRecord, BatchIngestStore, Store, open_store
from rules import Severity

LOG = Path(tempfile.gettempdir()) / "bench-delivery.log"  # the dispatcher's log, as a daemon's


@contextmanager
def receiver(delay: int = 0) -> Iterator[str]:
    """The receiver process answering after ``delay`` ms; its base URL."""
    command = [sys.executable, "-m", "bench.delivery_receiver", str(delay)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{int(process.stdout.readline())}"
    finally:
        process.terminate()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def receiver_stats(base: str, reset: bool = False) -> dict[str, int]:
    request = urllib.request.Request(f"{base}/stats", data=b"" if reset else None)
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read()
    return dict(json.loads(body)) if not reset else {}


@asynccontextmanager
async def fresh_store(backend: str, directory: Path, url: str) -> AsyncIterator[Store]:
    with fresh_schema(url) if backend == "postgres" else _no_schema() as schema_url:
        if backend == "postgres":
            settings = StoreSettings(url=schema_url, pool_max_size=4)
        else:
            settings = StoreSettings(path=str(directory / f"delivery-{time.time_ns()}.db"))
        store = open_store(settings)
        await store.open()
        try:
            yield store
        finally:
            await store.close()


@contextmanager
def _no_schema() -> Iterator[str]:
    yield ""


def _record(n: int, alert: bool) -> ArticleRecord:
    now = datetime.now(UTC)
    article = Article(
        article_id=f"a{n}", feed_url="http://farm/feed", feed_name="Farm", guid=f"g{n}",
        title=f"Shelling reported near the port, report {n}", link=f"http://farm/{n}",
        summary="", content="", published=None, fetched_at=now,
    )  # fmt: skip
    alerts = [
        AlertRecord(
            alert_id=f"al{n}",
            story_id=f"s{n}",
            article_id=f"a{n}",
            rule="port-shelling",
            severity=Severity.HIGH,
            terms=("shelling",),
            notifiers=("hook",),
            created_at=now,
        )
    ]
    return ArticleRecord(article, DedupDecision(Verdict.NEW_STORY, f"s{n}"), alerts * alert)


async def queue_alerts(store: Store, first: int, count: int, every: int = 1) -> None:
    """``count`` articles from number ``first``, one in ``every`` with an alert."""
    for start in range(first, first + count, 500):
        batch = range(start, min(start + 500, first + count))
        await _batches(store).record_articles([_record(n, n % every == 0) for n in batch])


def _batches(store: Store) -> BatchIngestStore:
    """Both backends write a feed's articles in one batch, as the daemon's ingest does."""
    assert isinstance(store, BatchIngestStore)
    return store


def dispatcher(store: Store, base: str, http: httpx.AsyncClient, level: int) -> Dispatcher:
    config = notifiers.WebhookConfig(url=f"{base}/hook")
    hook = notifiers.WebhookNotifier("hook", config, http=http)
    routes = {"hook": RouteSettings(concurrency=level)}
    return Dispatcher(store, {"hook": hook}, max_attempts=8, redact=Redactor([]), routes=routes)


async def drain(args: argparse.Namespace, store: Store, base: str, level: int, delay: int) -> Run:
    await queue_alerts(store, 0, args.alerts)
    receiver_stats(base, reset=True)
    async with http_client(DaemonSettings()) as http:
        sending = dispatcher(store, base, http, level)
        wall, cpu = time.perf_counter(), time.process_time()
        await sending.finish()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await sending.aclose()
    _check(args.alerts, receiver_stats(base), await store.delivery_counts())
    return Run(store_name(store), delay, level, args.alerts, wall, cpu)


def _check(alerts: int, stats: dict[str, int], counts: dict[str, int]) -> None:
    if stats != {"requests": alerts, "keys": alerts} or counts != {"sent": alerts}:
        raise SystemExit(
            f"bench.delivery: not every alert once: {stats}, store {counts} (log: {LOG})"
        )


def store_name(store: Store) -> str:
    return "PostgreSQL" if type(store).__name__.startswith("Postgres") else "SQLite"


async def overload(args: argparse.Namespace, store: Store, base: str) -> Overload:
    """The backlog drains while the ingest stand-in writes articles and alerts."""
    await queue_alerts(store, 0, args.alerts)
    receiver_stats(base, reset=True)
    ingest = asyncio.create_task(_ingest(store, args.alerts, args.overload_seconds))
    async with http_client(DaemonSettings()) as http:
        sending = dispatcher(store, base, http, DEFAULT_CONCURRENCY)
        samples, start = await _drain_sampled(store, base, sending, ingest)
        wall = time.perf_counter() - start
        await sending.aclose()
    ingested = ingest.result()
    expected = args.alerts + len(range(0, ingested, ALERT_EVERY))
    _check(expected, receiver_stats(base), await store.delivery_counts())
    backlogged = [
        after.delivered - before.delivered
        for before, after in itertools.pairwise(samples)
        if before.pending >= TARGET
    ]
    return Overload(
        store_name(store), expected, wall, float(min(backlogged, default=0)), ingested,
        len(backlogged),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sample:
    delivered: int  # requests the receiver had at a whole second
    pending: int  # deliveries the outbox held then


async def _drain_sampled(
    store: Store, base: str, sending: Dispatcher, ingest: asyncio.Task[int]
) -> tuple[list[Sample], float]:
    """Sweep until the ingest ended and nothing is pending; what the receiver had and the
    outbox held at each whole second."""
    start, samples = time.perf_counter(), [Sample(0, 0)]
    sampler = asyncio.create_task(_sample(store, base, start, samples))
    while not ingest.done() or (await store.delivery_counts()).get("pending"):
        await sending.finish()
    sampler.cancel()
    return samples, start


async def _sample(store: Store, base: str, start: float, samples: list[Sample]) -> None:
    samples[0] = Sample(0, (await store.delivery_counts()).get("pending", 0))
    while True:
        await asyncio.sleep(start + len(samples) - time.perf_counter())
        delivered = (await asyncio.to_thread(receiver_stats, base))["requests"]
        samples.append(Sample(delivered, (await store.delivery_counts()).get("pending", 0)))


async def _ingest(store: Store, first: int, seconds: float) -> int:
    """Articles at INGEST_RATE in ten batches a second; how many were written."""
    written, start, batch = 0, time.perf_counter(), INGEST_RATE // 10
    while time.perf_counter() - start < seconds:
        await _ingest_batch(store, first + written, batch)
        written += batch
        await asyncio.sleep(max(start + written / INGEST_RATE - time.perf_counter(), 0))
    return written


async def _ingest_batch(store: Store, first: int, count: int) -> None:
    """What the daemon's ingest asks of the store for one feed's new articles: the GUIDs
    it knows (``known_guids``), the articles it knows by link or fingerprint
    (``find_articles``), then one write of the new ones (``record_articles``)."""
    records = [_record(n, n % ALERT_EVERY == 0) for n in range(first, first + count)]
    await store.known_guids("http://farm/feed", [record.article.guid for record in records])
    await _batches(store).find_articles([record.article for record in records])
    await _batches(store).record_articles(records)


async def measure(args: argparse.Namespace) -> tuple[list[Run], list[Overload]]:
    runs: list[Run] = []
    overloads: list[Overload] = []
    for delay in args.delays:
        with receiver(delay) as base:
            runs += await _levels_run(args, base, delay)
            if delay == 0 and args.overload_seconds > 0:
                overloads += await _overloads_run(args, base)
    return runs, overloads


def _backends(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    url = postgres_url()
    for backend in args.backends:
        if backend == "postgres" and not url:
            print("bench.delivery: no PostgreSQL URL set; PostgreSQL skipped")
            continue
        yield backend, url


async def _levels_run(args: argparse.Namespace, base: str, delay: int) -> list[Run]:
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as directory:
        for backend, url in _backends(args):
            for level in args.levels:
                async with fresh_store(backend, Path(directory), url) as store:
                    runs.append(await drain(args, store, base, level, delay))
                print(runs[-1], flush=True)
    return runs


async def _overloads_run(args: argparse.Namespace, base: str) -> list[Overload]:
    overloads = []
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as directory:
        for backend, url in _backends(args):
            async with fresh_store(backend, Path(directory), url) as store:
                overloads.append(await overload(args, store, base))
            print(overloads[-1], flush=True)
    return overloads


def _levels(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--levels", type=_levels, default=[1, 4, 8, 16, 32])
    parser.add_argument("--backends", type=lambda t: t.split(","), default=["sqlite", "postgres"])
    parser.add_argument("--delays", type=_levels, default=[0, 25])
    parser.add_argument("--overload-seconds", type=float, default=10.0)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if 1 not in args.levels:
        parser.error("--levels must include 1, the baseline")
    with LOG.open("w", encoding="utf-8") as log:
        configure_logging("info", "json", stream=log)  # a line per delivery, as a daemon logs
        runs, overloads = asyncio.run(measure(args))
    write_section(args.output, "delivery", render(args, runs, overloads))
    print(f"bench.delivery: wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
