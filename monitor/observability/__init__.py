"""TODO observability."""

from monitor.observability.logs import configure_logging, set_log_secrets
from monitor.observability.redact import redact_url

__all__ = ["configure_logging", "redact_url", "set_log_secrets"]
