"""Logging: structlog for our events, with the stdlib's loggers (httpx, apscheduler) routed
through the same renderer — JSON lines when not on a TTY or when configured, key=value on a TTY.
Logs go to stderr so that command output (``replay``) stays clean on stdout.

Every line carries ``timestamp`` (ISO 8601, UTC), ``level``, ``logger`` and ``event``; our
events add stable snake_case keys (``feed_url``, ``story_id``, ``rule``, ``notifier``,
``delivery_id``). ``[log] levels`` sets a level per logger name (``"monitor.feeds.fetcher" =
"debug"``, ``httpx = "info"``). Credentials never reach a line: URL-valued keys lose their
``user:password@``, and the configured secrets (notifier URLs, tokens, passwords; see
:func:`set_log_secrets`) are replaced by ``[redacted]`` wherever they appear, including
in a library's message or a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Final, TextIO

import structlog

from monitor.observability.redact import Redactor, redact_log_urls

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
# Chatty libraries log every request at INFO; our own events say what matters.
_QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "aiosmtplib": logging.WARNING,
}


# Secrets of the running configuration; one redactor for the process, replaced on (re)start.
_redact = Redactor(())
# Loggers given their own level by the last configure_logging, reset by the next one.
_leveled: set[str] = set()


def set_log_secrets(secrets: Iterable[str]) -> None:
    """Replace the secrets :func:`redact_log_secrets` removes (the daemon calls this)."""
    global _redact  # noqa: PLW0603 - one process-wide set, as the structlog chain is
    _redact = Redactor(secrets)


def redact_log_secrets(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: every configured secret out of every string value."""
    if _redact:
        for key, value in event_dict.items():
            if isinstance(value, str):
                event_dict[key] = _redact(value)
    return event_dict


def _shared_processors() -> list[structlog.types.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        redact_log_urls,  # a feed URL may carry credentials
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact_log_secrets,  # last: tracebacks are text by now
    ]


def configure_logging(
    level: str = "info",
    fmt: str = "auto",
    stream: TextIO | None = None,
    levels: Mapping[str, str] | None = None,
) -> None:
    """Set up structlog and the stdlib root logger to render the same way; ``levels``
    gives loggers (``monitor.feeds.fetcher``, ``httpx``) and their children their own level.
    On stderr (no ``stream``), processes started afterwards that call
    :func:`configure_inherited_logging` (the parse pool's fork server) log alike."""
    if stream is None:  # this process's own logs: its children's too (see below)
        stream = sys.stderr
        _hand_down(level, "json" if _json_on(stream, fmt) else "console", levels or {})
    use_json = _json_on(stream, fmt)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_shared_processors(),
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS.get(level, logging.INFO))
    _set_levels(root.level, levels or {})
    structlog.configure(
        # Events below their logger's level are dropped first, before the timestamp, the
        # redaction and the rest run for a line stdlib would discard anyway (a poll
        # cycle's per-feed debug lines cost more than its 304s' bookkeeping otherwise).
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def _json_on(stream: TextIO, fmt: str) -> bool:
    return fmt == "json" or (fmt == "auto" and not stream.isatty())


# A process this one starts afterwards logs as this one does: the parse pool's fork server
# imports its preload modules (decision 0080) before any code could hand it the config, and
# logs a failed load there. The settings travel in the environment it inherits (no secrets:
# those stay in this process).
INHERITED_SETTINGS: Final = "_WIREWATCH_PARENT_LOG"  # not a config key (WIREWATCH_LOG__...)


def _hand_down(level: str, fmt: str, levels: Mapping[str, str]) -> None:
    os.environ[INHERITED_SETTINGS] = json.dumps(
        {"level": level, "format": fmt, "levels": dict(levels)}, sort_keys=True
    )


def configure_inherited_logging() -> None:
    """In a process started by one that configured its logs (:func:`configure_logging`):
    the same format, level and levels; the defaults when it configured none (or the
    settings do not read: a child logs rather than fail)."""
    try:
        settings = json.loads(os.environ.get(INHERITED_SETTINGS) or "{}")
        configure_logging(settings.get("level", "info"), settings.get("format", "auto"),
                          levels=settings.get("levels"))  # fmt: skip
    except (ValueError, TypeError, KeyError, AttributeError):
        configure_logging()


# Logger names from before the subpackage layout (docs/decisions/0018): a ``[log.levels]``
# key written for one still sets the same logger. Packages kept their names
# (``monitor.daemon``, ``monitor.listener``) and, as parents, cover their modules.
RENAMED_LOGGERS: Final = {
    "monitor.dispatch": "monitor.alerting.dispatch",
    "monitor.fetcher": "monitor.feeds.fetcher",
    "monitor.health": "monitor.web.health",
    "monitor.leases": "monitor.daemon.leases",
    "monitor.operator_alerts": "monitor.alerting.operator_alerts",
    "monitor.pipeline": "monitor.ingest.pipeline",
    "monitor.polling": "monitor.daemon.polling",
    "monitor.reload": "monitor.daemon.reload",
    "monitor.retention": "monitor.store.retention",
    "monitor.websub": "monitor.feeds.websub",
}


def _set_levels(root_level: int, configured: Mapping[str, str]) -> None:
    levels = {RENAMED_LOGGERS.get(name, name): level for name, level in configured.items()}
    for name in _leveled - set(levels) - set(_QUIET):
        logging.getLogger(name).setLevel(logging.NOTSET)  # a level an earlier config set
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root_level))
    for name, level in levels.items():
        logging.getLogger(name).setLevel(_LEVELS[level])
    _leveled.clear()
    _leveled.update(levels)
