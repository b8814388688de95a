"""Alerting: from queued alerts to delivered messages.

The outbox as dispatch sees it, the dispatcher (a drain per notifier, its sends side by
side in story order, outcomes recorded in batches; retry budgets, rate limits, groups,
digests, threads, send dedup, redaction of errors), routing by rule and
severity, holds (quiet hours, rate limits), silences, operator alerts about feeds,
surges as alerts, delivery counters, the excerpt an alert quotes, and the signed link
in each message to judge its alert."""

from monitor.alerting.delivery_metrics import DeliveryMetrics, Outcome
from monitor.alerting.dispatch import Dispatcher
from monitor.alerting.excerpts import make_excerpt
from monitor.alerting.feedback_links import FeedbackLinks, LinkCheck
from monitor.alerting.operator_alerts import raise_operator_alert
from monitor.alerting.passes import DispatchSummary
from monitor.alerting.routing import Routes
from monitor.alerting.silences import parse_duration
from monitor.alerting.surge_alerts import surge_alerts

__all__ = [
    "DeliveryMetrics",
    "DispatchSummary",
    "Dispatcher",
    "FeedbackLinks",
    "LinkCheck",
    "Outcome",
    "Routes",
    "make_excerpt",
    "parse_duration",
    "raise_operator_alert",
    "surge_alerts",
]
