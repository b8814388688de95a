"""Notifier plugins: each turns an :class:`Alert` into a message on one channel.

Public API: the shared records (:mod:`notifiers.base`), the four built-in
notifiers with their config models, and the registry functions the daemon uses
to validate ``[notifiers.<name>]`` tables and build notifier instances.
"""

from notifiers.base import (
    SEVERITIES,
    Alert,
    Notifier,
    NotifierConfig,
    NotifierPlugin,
    NotifyError,
)
from notifiers.console import ConsoleConfig, ConsoleNotifier
from notifiers.email import EmailConfig, EmailNotifier
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
from notifiers.webhook import PAYLOAD_SCHEMA, WebhookConfig, WebhookNotifier

__all__ = [
    "ENTRY_POINT_GROUP",
    "PAYLOAD_SCHEMA",
    "REGISTRY",
    "SEVERITIES",
    "Alert",
    "ConsoleConfig",
    "ConsoleNotifier",
    "EmailConfig",
    "EmailNotifier",
    "Notifier",
    "NotifierConfig",
    "NotifierPlugin",
    "NotifyError",
    "PluginProblem",
    "PluginScan",
    "SlackConfig",
    "SlackNotifier",
    "WebhookConfig",
    "WebhookNotifier",
    "build_notifier",
    "discover_plugins",
    "notifier_types",
    "validate_notifier_config",
]
