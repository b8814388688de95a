"""Observability: structured logging (structlog, JSON or console) and the one place
secrets are redacted from logs, errors and pages.

Metrics are exported by :mod:`monitor.web` because they read the running daemon."""

from monitor.observability.logs import configure_logging, set_log_secrets
from monitor.observability.redact import Redactor, redact_url

__all__ = ["Redactor", "configure_logging", "redact_url", "set_log_secrets"]
