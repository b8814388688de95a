"""Web: what the daemon serves on its listener for people and tools.

Health endpoints (``/healthz``, ``/readyz``), Prometheus ``/metrics``, and the read-only
status page (``/status``, Jinja2 autoescaped, no script) with what it reads, and the
page a message's signed link opens to judge its alert (``/feedback/…``). Each gets a
narrow view of the daemon, never the daemon itself."""

from monitor.web.feedback_page import install_feedback_page
from monitor.web.health import (
    Health,
    Readiness,
    install_daemon_routes,
    listener_for,
    scheduler_check,
    start_listener,
)
from monitor.web.metrics import MeteredFetcher, Metrics, MetricsSource, daemon_metrics
from monitor.web.status_page import install_status_page
from monitor.web.status_view import StatusSource

__all__ = [
    "Health",
    "MeteredFetcher",
    "Metrics",
    "MetricsSource",
    "Readiness",
    "StatusSource",
    "daemon_metrics",
    "install_daemon_routes",
    "install_feedback_page",
    "install_status_page",
    "listener_for",
    "scheduler_check",
    "start_listener",
]
