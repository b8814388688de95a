"""Notifier plugins: each turns an :class:`Alert` into a message on one channel.

Public API: the shared records (:mod:`notifiers.base`), the built-in notifiers
with their config models (console, Slack, email, webhook, and the Apprise bridge to
~150 more services), the channel-escaped templates (:mod:`notifiers.templates`),
and the registry functions the daemon uses to validate ``[notifiers.<name>]``
tables and build notifier instances; and wirewatch's one redaction
(:mod:`notifiers.redaction`), with which a plugin keeps echoed secrets out of its errors.
"""

from notifiers._text import single_line
from notifiers.apprise_bridge import AppriseConfig, AppriseNotifier
from notifiers.base import (
    SEVERITIES,
    Alert,
    Batch,
    BatchNotifier,
    Notifier,
    NotifierConfig,
    NotifierPlugin,
    NotifyError,
    Sent,
    SurgeEvidence,
    SurgeKindName,
    SurgeStory,
)
from notifiers.console import ConsoleConfig, ConsoleNotifier
from notifiers.email import EmailConfig, EmailNotifier
from notifiers.redaction import REDACTED, Redactor, is_credential_name, redact_url, url_secrets
from notifiers.registry import (
    ENTRY_POINT_GROUP,
    REGISTRY,
    PluginProblem,
    PluginScan,
    build_notifier,
    discover_plugins,
    notifier_types,
    validate_notifier_config,
)
from notifiers.slack import SlackConfig, SlackNotifier
from notifiers.templates import Escaping, Templates
from notifiers.webhook import BATCH_SCHEMA, PAYLOAD_SCHEMA, WebhookConfig, WebhookNotifier

__all__ = [
    "BATCH_SCHEMA",
    "ENTRY_POINT_GROUP",
    "PAYLOAD_SCHEMA",
    "REDACTED",
    "REGISTRY",
    "SEVERITIES",
    "Alert",
    "AppriseConfig",
    "AppriseNotifier",
    "Batch",
    "BatchNotifier",
    "ConsoleConfig",
    "ConsoleNotifier",
    "EmailConfig",
    "EmailNotifier",
    "Escaping",
    "Notifier",
    "NotifierConfig",
    "NotifierPlugin",
    "NotifyError",
    "PluginProblem",
    "PluginScan",
    "Redactor",
    "Sent",
    "SlackConfig",
    "SlackNotifier",
    "SurgeEvidence",
    "SurgeKindName",
    "SurgeStory",
    "Templates",
    "WebhookConfig",
    "WebhookNotifier",
    "build_notifier",
    "discover_plugins",
    "is_credential_name",
    "notifier_types",
    "redact_url",
    "single_line",
    "url_secrets",
    "validate_notifier_config",
]
