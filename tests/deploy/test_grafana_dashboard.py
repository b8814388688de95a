"""deploy/grafana: every query reads metrics the daemon exports, under their contract names."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.deploy.deploy_files import dashboard, dashboard_exprs

# The metric names dashboards and docs rely on (README, "Operations"); counters end in _total.
COUNTERS = {
    "wirewatch_polls_total",
    "wirewatch_fetch_bytes_total",
    "wirewatch_items_parsed_total",
    "wirewatch_articles_stored_total",
    "wirewatch_articles_folded_total",
    "wirewatch_stories_created_total",
    "wirewatch_rule_hits_total",
    "wirewatch_alerts_created_total",
    "wirewatch_deliveries_total",
    "wirewatch_config_reloads_total",
    "wirewatch_retention_pruned_total",
}
GAUGES = {
    "wirewatch_outbox_pending",
    "wirewatch_outbox_oldest_pending_age_seconds",
    "wirewatch_feeds",
    "wirewatch_config_last_reload_success_timestamp_seconds",
    "wirewatch_build_info",
}
HISTOGRAMS = {"wirewatch_fetch_duration_seconds", "wirewatch_scheduler_lag_seconds"}
CONTRACT = COUNTERS | GAUGES | HISTOGRAMS
# A histogram is queried through its series; quantiles need the buckets.
HISTOGRAM_SERIES = {f"{name}_{part}" for name in HISTOGRAMS for part in ("bucket", "sum", "count")}
SERIES = COUNTERS | GAUGES | HISTOGRAM_SERIES

BOARD = dashboard()
EXPRS = dashboard_exprs(BOARD)
METRIC = re.compile(r"\bwirewatch_[a-z0-9_]+")


def _metric_of(series: str) -> str:
    for name in HISTOGRAMS:
        if series.startswith(f"{name}_"):
            return name
    return series


@pytest.mark.parametrize(("title", "expr"), EXPRS, ids=[f"{t}:{e[:40]}" for t, e in EXPRS])
def test_query_reads_only_contract_metrics(title: str, expr: str) -> None:
    used = set(METRIC.findall(expr))
    assert used, f"{title}: no wirewatch metric in {expr}"
    assert used <= SERIES, f"{title}: {sorted(used - SERIES)}"
    if used & {f"{name}_bucket" for name in HISTOGRAMS}:
        assert "histogram_quantile(" in expr and "by (le)" in expr, title


def test_every_contract_metric_has_a_panel() -> None:
    used = {_metric_of(series) for _, expr in EXPRS for series in METRIC.findall(expr)}
    assert used == CONTRACT


def test_queries_follow_the_instance_variable_and_the_data_source_variable() -> None:
    for title, expr in EXPRS:
        assert 'instance=~"$instance"' in expr, title
    datasources = {
        target["datasource"]["uid"]
        for panel in BOARD["panels"]
        for target in panel.get("targets", [])
    }
    assert datasources == {"${datasource}"}
    names = [variable["name"] for variable in BOARD["templating"]["list"]]
    assert names == ["datasource", "instance"]


def test_counters_are_only_read_through_rate_or_increase() -> None:
    for title, expr in EXPRS:
        for counter in COUNTERS & set(METRIC.findall(expr)):
            assert re.search(rf"(rate|increase)\({counter}\{{", expr), f"{title}: {expr}"


def test_panels_have_unique_ids_and_fit_the_grid() -> None:
    ids = Counter(panel["id"] for panel in BOARD["panels"])
    assert max(ids.values()) == 1
    for panel in BOARD["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    assert BOARD["uid"] == "wirewatch"


def test_dashboard_metrics_are_in_the_daemons_registry() -> None:
    metrics = pytest.importorskip("monitor.web.metrics")
    exposition = metrics.Metrics(version="test").render().decode()
    exported = set(re.findall(r"^# TYPE (\S+) ", exposition, flags=re.MULTILINE))
    assert exported >= CONTRACT
