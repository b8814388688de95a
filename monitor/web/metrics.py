"""Prometheus metrics of one daemon, on a registry of its own (served at ``/metrics``).

Names and labels are a contract shared with dashboards and docs (README, "Operations"):
prefix ``wirewatch_``, counters end in ``_total``. Stages report at their boundaries, so
plugins and rules know nothing of metrics: the daemon hands every
:class:`~monitor.ingest.pipeline.PollOutcome` to :meth:`Metrics.polled`, :class:`MeteredFetcher`
times each request, the dispatcher counts into its :class:`DeliveryMetrics`, the scheduler
reports lag and skipped polls; the process's own ``process_*`` series and the parse
workers' are read from ``/proc``. Gauges are computed when scraped, from values already in
memory (the outbox figures the dispatcher refreshes after each sweep, each feed's state
as its last poll left it), so a scrape never waits on the database.

A registry per daemon (not the library's global one): several daemons, or tests, in one
process never see each other's counts.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import httpx
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from monitor.alerting import DeliveryMetrics
from monitor.config import FeedSettings
from monitor.feeds import Fetcher, RequestOptions
from monitor.ingest import PollOutcome
from monitor.pages import PageOutcome, PageStats
from monitor.records import AlertRecord, FeedState, FetchResult, PollStatus, Verdict
from monitor.web.process_metrics import OwnProcessCollector, Pids, WorkerCollector

__all__ = [
    "CONTENT_TYPE",
    "MeteredFetcher",
    "Metrics",
    "MetricsSource",
    "count_feeds",
    "daemon_metrics",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# A poll's status → its outcome label; "pushed" content is not a poll (counted elsewhere).
_POLL_OUTCOME: Mapping[PollStatus, str] = {
    status: status.value
    for status in (PollStatus.OK, PollStatus.NOT_MODIFIED, PollStatus.UNCHANGED,
                   PollStatus.ERROR, PollStatus.GONE)
} | {PollStatus.DISABLED: "skipped"}  # fmt: skip
POLL_OUTCOMES = tuple(_POLL_OUTCOME.values())
DELIVERY_OUTCOMES = ("sent", "retry", "dead", "held", "silenced")
FEED_STATES = ("healthy", "failing", "disabled")
RELOAD_OUTCOMES = ("success", "failure")
# Seconds. A fetch is capped by daemon.total_timeout (60 s by default); a poll should
# start within a second of its time, and minutes late means the loop is starved.
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

FeedCounts = Callable[[], Mapping[str, int]]
PageCounts = Callable[[], PageStats]
Names = Callable[[], Iterable[str]]


@dataclass(frozen=True, slots=True)
class MetricsSource:
    """What the daemon's gauges read, at each scrape (so reloads show)."""

    feeds: Callable[[], Iterable[FeedSettings]]  # configured now
    feed_states: Mapping[str, FeedState]  # as this process's polls left them
    notifiers: Names  # enabled now
    instance: str  # [daemon] instance, or the generated lease name
    named: bool  # the instance name is configured (so stable)
    clock: Callable[[], datetime]


def daemon_metrics(source: MetricsSource) -> Metrics:
    """The daemon's metrics; its gauges read the current config and feed states."""
    return Metrics(
        version=package_version(), clock=source.clock,
        feeds=lambda: count_feeds(source.feeds(), source.feed_states),
        notifiers=source.notifiers, instance=source.instance, label_every_series=source.named,
    )  # fmt: skip


def package_version() -> str:
    try:
        return metadata.version("wirewatch")
    except metadata.PackageNotFoundError:  # running from a tree that was never installed
        return "unknown"


def count_feeds(
    configured: Iterable[FeedSettings], states: Mapping[str, FeedState]
) -> dict[str, int]:
    """Feeds by state: disabled (in the config, or gone), failing (its last poll failed),
    else healthy (including feeds not polled yet)."""
    counts = dict.fromkeys(FEED_STATES, 0)
    for feed in configured:
        state = states.get(feed.url)
        if not feed.enabled or (state is not None and state.disabled):
            counts["disabled"] += 1
        elif state is not None and state.error_count:
            counts["failing"] += 1
        else:
            counts["healthy"] += 1
    return counts


class Metrics:
    """Every metric of one daemon; :meth:`render` is the ``/metrics`` body."""

    def __init__(
        self,
        *,
        version: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        feeds: FeedCounts = lambda: {},
        notifiers: Names = lambda: (),  # listed with zero deliveries before their first
        instance: str = "",  # [daemon] instance: which of several daemons this is
        label_every_series: bool = False,  # the name is configured, so stable: label all
    ) -> None:
        # No ``*_created`` series: in the text format they double every counter's series
        # and nothing reads them. (A process-wide switch; this process has no other use.)
        disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream
        self.registry = CollectorRegistry(auto_describe=True)
        self.deliveries = DeliveryMetrics()  # the dispatcher's counters, exported as they are
        self.notifiers = notifiers
        self.page_stats: PageCounts = lambda: PageStats({})  # the page fetcher's, once wired
        self._clock = clock
        self._add_poll_metrics()
        self._add_daemon_metrics(version, instance)
        self.registry.register(_ScrapeTimeCollector(self, feeds))
        self._workers = self._add_process_metrics()
        # Only a configured name labels every series: a generated one changes at each
        # restart, and every restart would start a new set of series in Prometheus.
        self._exposed = _Labelled(self.registry, instance) if label_every_series else None

    def _add_process_metrics(self) -> WorkerCollector:
        """``process_*`` (resident memory, open fds, CPU seconds, start time) of this
        process, and the parse workers' count and memory (:meth:`watch_parse_workers`)."""
        OwnProcessCollector(registry=self.registry)  # reads /proc/self at each scrape
        workers = WorkerCollector()
        self.registry.register(workers)
        return workers

    def _add_poll_metrics(self) -> None:
        def counter(name: str, doc: str, labels: Iterable[str] = ()) -> Counter:
            return Counter(name, doc, labels, registry=self.registry)

        self.polls = counter("wirewatch_polls_total", "Feed polls by outcome", ["outcome"])
        for outcome in POLL_OUTCOMES:
            self.polls.labels(outcome)
        self.fetch_duration = Histogram(
            "wirewatch_fetch_duration_seconds", "HTTP fetch of a feed, from its politeness "
            "slot to the last body byte", buckets=FETCH_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.fetch_bytes = counter("wirewatch_fetch_bytes_total", "Feed body bytes (decoded)")
        self.items_parsed = counter("wirewatch_items_parsed_total", "Entries in parsed feeds")
        self.articles_stored = counter("wirewatch_articles_stored_total", "Articles stored")
        self.articles_folded = counter(
            "wirewatch_articles_folded_total", "Articles folded into an existing story"
        )
        self.stories_created = counter("wirewatch_stories_created_total", "Stories opened")
        self.rule_hits = counter("wirewatch_rule_hits_total", "Articles a rule matched", ["rule"])
        self.alerts_created = counter(
            "wirewatch_alerts_created_total", "Alerts queued in the outbox", ["event"]
        )

    def _add_daemon_metrics(self, version: str, instance: str) -> None:
        self.scheduler_lag = Histogram(
            "wirewatch_scheduler_lag_seconds", "Start of a poll job after its scheduled time",
            buckets=LAG_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.config_reloads = Counter(
            "wirewatch_config_reloads_total", "Config reloads by outcome", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        for outcome in RELOAD_OUTCOMES:
            self.config_reloads.labels(outcome)
        self.config_loaded_at = Gauge(
            "wirewatch_config_last_reload_success_timestamp_seconds",
            "When the running config was loaded (start-up or the last successful reload)",
            registry=self.registry,
        )
        self.config_loaded_at.set(self._clock().timestamp())
        self.retention_pruned = Counter(
            "wirewatch_retention_pruned_total", "Rows removed by retention", ["table"],
            registry=self.registry,
        )  # fmt: skip
        build = Gauge("wirewatch_build_info", "Always 1", ["version"], registry=self.registry)
        build.labels(version).set(1)
        if instance:  # exported as exported_instance unless the scrape honours labels
            named = Gauge("wirewatch_instance_info", "Always 1; the daemon's lease name",
                          ["instance"], registry=self.registry)  # fmt: skip
            named.labels(instance).set(1)

    def watch_parse_workers(self, pids: Pids) -> None:
        """Export the parse pool's worker processes (``pids`` lists them when scraped)."""
        self._workers.pids = pids

    def watch_pages(self, stats: PageCounts) -> None:
        """Export the article page fetcher's outcomes (``stats`` read when scraped)."""
        self.page_stats = stats

    def polled(self, outcome: PollOutcome) -> None:
        """One poll (or pushed document) and everything it stored and raised."""
        label = _POLL_OUTCOME.get(outcome.status)
        if label is not None:
            self.polls.labels(label).inc()
        self.items_parsed.inc(outcome.entries)
        for item in outcome.ingested:
            self._ingested(item.decision.verdict, [m.rule for m in item.matches])
            self.raised(item.alerts)

    def raised(self, alerts: Sequence[AlertRecord]) -> None:
        """Alerts queued: by a poll, or by a page that came late (its follow-ups)."""
        for alert in alerts:
            self.alerts_created.labels(_event_label(alert)).inc()

    def _ingested(self, verdict: Verdict, rules: list[str]) -> None:
        if verdict is Verdict.SEEN:
            return
        self.articles_stored.inc()
        if verdict is Verdict.NEW_STORY:
            self.stories_created.inc()
        else:
            self.articles_folded.inc()
        for rule in rules:
            self.rule_hits.labels(rule).inc()

    def poll_skipped(self) -> None:
        """A scheduled poll did not run: the last one still runs, or it missed its grace."""
        self.polls.labels("skipped").inc()

    def operator_alert(self) -> None:
        self.alerts_created.labels("operator").inc()

    def reloaded(self, succeeded: bool) -> None:
        """A config reload's outcome (the reloader's hook)."""
        (self.reload_succeeded if succeeded else self.reload_failed)()

    def reload_succeeded(self) -> None:
        self.config_reloads.labels("success").inc()
        self.config_loaded_at.set(self._clock().timestamp())

    def reload_failed(self) -> None:
        self.config_reloads.labels("failure").inc()

    def pruned(self, table: str, rows: int) -> None:
        self.retention_pruned.labels(table).inc(max(rows, 0))

    def fetched(self, seconds: float, body_bytes: int) -> None:
        self.fetch_duration.observe(seconds)
        self.fetch_bytes.inc(body_bytes)

    def oldest_pending_age(self) -> float:
        oldest = self.deliveries.oldest_pending
        if oldest is None:
            return 0.0
        return max((self._clock() - oldest).total_seconds(), 0.0)

    def render(self) -> bytes:
        """The text exposition format (``CONTENT_TYPE``)."""
        return generate_latest(self._exposed or self.registry)


class _Labelled:
    """The registry's families with ``wirewatch_instance`` added to every sample (not
    ``instance``: Prometheus sets that one to the scrape target and would rename ours)."""

    def __init__(self, registry: CollectorRegistry, instance: str) -> None:
        self.registry, self.instance = registry, instance

    def collect(self) -> Iterator[Metric]:
        for family in self.registry.collect():  # built afresh by each collect()
            family.samples = [
                sample._replace(labels={**sample.labels, "wirewatch_instance": self.instance})
                for sample in family.samples
            ]
            yield family


class _ScrapeTimeCollector(Collector):
    """Deliveries, outbox and feed gauges, read from memory when scraped."""

    def __init__(self, metrics: Metrics, feeds: FeedCounts) -> None:
        self._metrics = metrics
        self._feeds = feeds

    def describe(self) -> Iterable[Metric]:
        return list(self._families())

    def collect(self) -> Iterable[Metric]:
        return list(self._families(filled=True))

    def _families(self, *, filled: bool = False) -> Iterator[Metric]:
        yield self._deliveries(filled)
        yield self._pages(filled)
        pending = GaugeMetricFamily("wirewatch_outbox_pending", "Deliveries waiting to be sent")
        oldest = GaugeMetricFamily(
            "wirewatch_outbox_oldest_pending_age_seconds", "Age of the oldest pending alert"
        )
        feeds = GaugeMetricFamily("wirewatch_feeds", "Configured feeds by state", labels=["state"])
        if filled:
            pending.add_metric([], self._metrics.deliveries.outbox.get("pending", 0))
            oldest.add_metric([], self._metrics.oldest_pending_age())
            for state, count in {**dict.fromkeys(FEED_STATES, 0), **self._feeds()}.items():
                feeds.add_metric([state], count)
        yield from (pending, oldest, feeds)

    def _deliveries(self, filled: bool) -> Metric:
        family = CounterMetricFamily(
            "wirewatch_deliveries", "Deliveries by notifier and outcome (held: deferred by "
            "quiet hours, digests, groups, rate limits)", labels=["notifier", "outcome"],
        )  # fmt: skip
        if filled:
            for (notifier, outcome), count in sorted(self._delivery_totals().items()):
                family.add_metric([notifier, outcome], count)
        return family

    def _pages(self, filled: bool) -> Metric:
        family = CounterMetricFamily(
            "wirewatch_page_fetches", "Article page fetches by outcome", labels=["outcome"]
        )
        if filled:
            stats = self._metrics.page_stats()
            for outcome in PageOutcome:  # every outcome, zeros too: rates from the start
                family.add_metric([outcome.value], stats.total(outcome))
        return family

    def _delivery_totals(self) -> Tally[tuple[str, str]]:
        source = self._metrics.deliveries
        totals: Tally[tuple[str, str]] = Tally(dict(source.deliveries))
        for (notifier, _reason), count in source.deferrals.items():
            totals[notifier, "held"] += count
        for notifier in self._metrics.notifiers():
            for outcome in DELIVERY_OUTCOMES:
                totals[notifier, outcome] += 0
        return totals


class MeteredFetcher(Fetcher):
    """A :class:`Fetcher` that times each feed request once it holds its politeness slot
    (so waiting for a busy host's turn is not counted as slowness) and counts body bytes.
    Article pages and robots.txt go through it too, but are counted as page fetches."""

    def __init__(self, metrics: Metrics, **options: Any) -> None:
        super().__init__(**options)
        self._metrics = metrics

    async def _fetch(
        self,
        url: str,
        target: httpx.URL,
        state: FeedState | None,
        cap: int,
        options: RequestOptions,
    ) -> FetchResult:
        if not options.polls_feed:
            return await super()._fetch(url, target, state, cap, options)
        started = time.perf_counter()
        body_bytes = 0
        try:
            result = await super()._fetch(url, target, state, cap, options)
            body_bytes = len(result.body)
            return result
        finally:
            self._metrics.fetched(time.perf_counter() - started, body_bytes)


def _event_label(alert: AlertRecord) -> str:
    """``new``, ``update``, or ``surge`` for a surge's alert (docs/decisions/0044)."""
    if alert.is_surge:
        return "surge"
    return "new" if alert.event == "new" else "update"
