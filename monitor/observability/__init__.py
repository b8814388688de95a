"""TODO observability."""

from monitor.observability.logs import configure_logging, set_log_secrets
from monitor.observability.redact import Redactor, redact_url

__all__ = ["Redactor", "configure_logging", "redact_url", "set_log_secrets"]
