"""Configuration: the settings models of every table of ``wirewatch.toml`` (plus
``WIREWATCH_*`` environment overrides), loading (feeds and rules from included files
too), the one settings base they share, and feed lists in and out as OPML.

Bottom layer: imports nothing else of ``monitor``. Rules and notifier configs are
validated by their own packages and collected here with file, line and key."""

from monitor.config.advice import ConfigWarning, config_warnings
from monitor.config.alerting import (
    MAX_CONCURRENCY,
    SEVERITY_RANK,
    AlertingSettings,
    DigestSettings,
    QuietHours,
    RateLimit,
    RouteSettings,
    UpdateSettings,
    parse_clock,
)
from monitor.config.api import ApiScope, ApiSettings, ApiToken
from monitor.config.checks import store_directory_problem
from monitor.config.feeds import FeedSettings, FullText, ListenerSettings
from monitor.config.opml import (
    OpmlError,
    OpmlFeed,
    OpmlList,
    needs_credentials,
    read_opml,
    write_opml,
)
from monitor.config.retention import RetentionSettings
from monitor.config.settings import (
    Config,
    ConfigError,
    DaemonSettings,
    DedupSettings,
    Settings,
    StoreSettings,
    default_config_path,
    load_config,
)
from monitor.config.surges import SurgeSettings

__all__ = [
    "MAX_CONCURRENCY",
    "SEVERITY_RANK",
    "AlertingSettings",
    "ApiScope",
    "ApiSettings",
    "ApiToken",
    "Config",
    "ConfigError",
    "ConfigWarning",
    "DaemonSettings",
    "DedupSettings",
    "DigestSettings",
    "FeedSettings",
    "FullText",
    "ListenerSettings",
    "OpmlError",
    "OpmlFeed",
    "OpmlList",
    "QuietHours",
    "RateLimit",
    "RetentionSettings",
    "RouteSettings",
    "Settings",
    "StoreSettings",
    "SurgeSettings",
    "UpdateSettings",
    "config_warnings",
    "default_config_path",
    "load_config",
    "needs_credentials",
    "parse_clock",
    "read_opml",
    "store_directory_problem",
    "write_opml",
]
