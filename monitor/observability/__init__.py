"""Observability: structured logging (structlog, JSON or console) and the one redaction
that keeps secrets out of logs, errors and pages (defined in ``notifiers.redaction``).

Metrics are exported by :mod:`monitor.web` because they read the running daemon."""

from monitor.observability.exits import process_ended
from monitor.observability.logs import (
    configure_inherited_logging,
    configure_logging,
    set_log_secrets,
)
from monitor.observability.redact import Redactor, redact_url, url_secrets
from monitor.observability.throttle import LogThrottle

__all__ = [
    "LogThrottle",
    "Redactor",
    "configure_inherited_logging",
    "configure_logging",
    "process_ended",
    "redact_url",
    "set_log_secrets",
    "url_secrets",
]
