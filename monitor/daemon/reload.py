"""Reloading the configuration in a running daemon: SIGHUP or ``POST /-/reload``.

The file the daemon started with is read again and validated whole, rule examples
included (as ``wirewatch check`` does). Invalid, it changes nothing: the old
configuration keeps running and every error is logged (``config_reload_failed``).
Valid, what changed is applied without a restart and without losing feed state:

- compiled rules, routes, the alert policy, feed tags and notifiers are one immutable
  :class:`~monitor.ingest.Runtime`, swapped in one assignment while the pipeline is
  between articles, with the dispatcher's channels, routes, redactor and retry budget;
  each notifier's drain takes them up before its next send, so a reload never waits for
  a slow receiver (:mod:`monitor.daemon.swap` applies it; this module validates and
  reports);
- notifiers added or changed are built first; the ones replaced or removed are closed
  after the swap, once the send in flight on one, if any, has finished and been recorded;
- poll jobs are added, removed and replaced; a feed's next poll follows its stored state,
  pulled in when a shorter interval now applies.

Store, dedup, log, listener, surge and fetcher settings are read once at start-up: a change to
them is logged (``config_needs_restart``) and otherwise waits for a restart
(docs/decisions/0014-reload.md) — except ``[surge] notifiers`` and ``severity``, read
as each surge is alerted, which a reload applies. Reloads run one at a time.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Protocol

import structlog
from pydantic import BaseModel

import rules
from monitor.alerting import Routes
from monitor.config import AlertingSettings, Config, ConfigError, config_warnings, load_config
from monitor.ingest import AlertPolicy
from monitor.listener import HttpListener, Request, Response
from monitor.observability import redact_url, url_secrets

log = structlog.get_logger("monitor.daemon.reload")

RELOAD_PATH = "/-/reload"
# Sections read once at start-up: the store, the story index, logging, the listener.
RESTART_SECTIONS = ("store", "dedup", "log", "listener")
# [surge] keys read as each surge is alerted (monitor.daemon.wiring); the rest build the
# detector at start-up.
SURGE_LIVE_KEYS = frozenset({"notifiers", "severity"})
# Daemon keys the fetcher and the parse pool were built from.
RESTART_DAEMON_KEYS = frozenset(
    {"user_agent", "contact_url", "concurrency", "host_concurrency", "host_spacing",
     "host_slow_after", "host_slow_limit", "parse_workers", "connect_timeout",
     "read_timeout", "total_timeout", "max_body_bytes", "max_redirects",
     "page_private_networks"}
)  # fmt: skip
# Daemon keys every feed's next poll depends on: a change replaces every poll job.
SCHEDULE_DAEMON_KEYS = frozenset(
    {"default_interval", "min_interval", "max_interval", "backoff_base", "backoff_max",
     "jitter", "misfire_grace"}
)  # fmt: skip

ReloadHook = Callable[[bool], None]  # told of each reload's outcome (metrics)


class Reloadable(Protocol):
    """What a reload reads and changes (the daemon's :class:`~monitor.daemon.swap.RuntimeSwap`)."""

    @property
    def config(self) -> Config:
        """The configuration running now."""
        ...

    async def apply(self, new: Config, matcher: rules.Matcher, changes: Changes) -> None:
        """Swap in ``new`` (all or nothing: raises, having changed nothing, on failure)."""
        ...


@dataclass(frozen=True, slots=True)
class Changes:
    """What one reload changed: feeds by URL, rules and notifiers by name."""

    feeds_added: tuple[str, ...] = ()
    feeds_removed: tuple[str, ...] = ()
    feeds_changed: tuple[str, ...] = ()
    feeds_rescheduled: tuple[str, ...] = ()  # jobs replaced (changed, or daemon intervals)
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()
    rules_changed: tuple[str, ...] = ()
    notifiers_added: tuple[str, ...] = ()
    notifiers_removed: tuple[str, ...] = ()
    notifiers_changed: tuple[str, ...] = ()
    settings_changed: tuple[str, ...] = ()  # applied: "daemon.jitter", "alerting", ...
    needs_restart: tuple[str, ...] = ()  # changed, but applied only by a restart

    def as_dict(self) -> dict[str, list[str]]:
        """For the HTTP answer; feed URLs without credentials."""
        out = {item.name: list(getattr(self, item.name)) for item in fields(self)}
        for key in ("feeds_added", "feeds_removed", "feeds_changed", "feeds_rescheduled"):
            out[key] = [redact_url(url) for url in out[key]]
        return out

    def counts(self) -> dict[str, int]:
        return {item.name: len(getattr(self, item.name)) for item in fields(self)}

    @property
    def notifiers_replaced(self) -> tuple[str, ...]:
        return self.notifiers_removed + self.notifiers_changed


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    changes: Changes | None = None
    errors: tuple[str, ...] = ()

    def http_response(self) -> Response:
        if self.ok and self.changes is not None:
            body: dict[str, object] = {"status": "ok", "changes": self.changes.as_dict()}
        else:
            body = {"status": "error", "errors": list(self.errors)}
        return Response(200 if self.ok else 400, json.dumps(body).encode(), "application/json")


def config_changes(old: Config, new: Config) -> Changes:
    """Feeds, rules and notifiers added, removed and changed; settings that changed."""
    feeds = _diff({f.url: f for f in old.feeds}, {f.url: f for f in new.feeds})
    rule_diff = _diff(
        {r.name: r for r in old.ruleset.enabled_rules},
        {r.name: r for r in new.ruleset.enabled_rules},
    )
    notifier_diff = _diff(old.enabled_notifiers, new.enabled_notifiers)
    daemon_keys = _changed_keys(old.settings.daemon, new.settings.daemon)
    rescheduled = feeds[2]
    if daemon_keys & SCHEDULE_DAEMON_KEYS:
        rescheduled = tuple(f.url for f in new.feeds if f.url not in feeds[0])
    applied = [f"daemon.{key}" for key in sorted(daemon_keys - RESTART_DAEMON_KEYS)]
    applied += [
        section
        for section in ("alerting", "retention", "api")  # read live at each use
        if getattr(old.settings, section) != getattr(new.settings, section)
    ]
    restart = [f"daemon.{key}" for key in sorted(daemon_keys & RESTART_DAEMON_KEYS)]
    restart += [
        section
        for section in RESTART_SECTIONS
        if getattr(old.settings, section) != getattr(new.settings, section)
    ]
    surge_keys = _changed_keys(old.settings.surge, new.settings.surge)
    applied += [f"surge.{key}" for key in sorted(surge_keys & SURGE_LIVE_KEYS)]
    restart += [f"surge.{key}" for key in sorted(surge_keys - SURGE_LIVE_KEYS)]
    return Changes(
        *feeds, rescheduled, *rule_diff, *notifier_diff,
        settings_changed=tuple(applied), needs_restart=tuple(restart),
    )  # fmt: skip


def _diff(
    old: Mapping[str, object], new: Mapping[str, object]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    added = tuple(key for key in new if key not in old)
    removed = tuple(key for key in old if key not in new)
    changed = tuple(key for key in new if key in old and new[key] != old[key])
    return added, removed, changed


def _changed_keys(old: BaseModel, new: BaseModel) -> set[str]:
    return {key for key in type(old).model_fields if getattr(old, key) != getattr(new, key)}


def validate_reload(path: str) -> tuple[Config, rules.Matcher]:
    """The config at ``path`` and its compiled rules; :class:`ConfigError` lists every
    error, failed rule examples included (a reload is as strict as ``wirewatch check``)."""
    config = load_config(path)
    failures = rules.run_examples(config.ruleset).failures
    if failures:
        raise ConfigError([_example_error(failure) for failure in failures])
    return config, rules.compile_rules(config.ruleset)


def _example_error(failure: rules.ExampleFailure) -> str:
    where = str(failure.example.location) if failure.example.location else "rules"
    expected = "must_match" if failure.example.expect else "must_not_match"
    return f"{where}: rule {failure.rule!r}: {expected} example failed"


class Reloader:
    """Reloads the daemon's configuration file, one reload at a time."""

    def __init__(self, target: Reloadable, *, on_outcome: ReloadHook | None = None) -> None:
        self._target = target
        self.on_outcome = on_outcome  # the metrics' success/failure counter
        self._lock = asyncio.Lock()
        self._closed = False
        self._tasks: set[asyncio.Task[ReloadResult]] = set()

    async def reload(self, trigger: str = "api") -> ReloadResult:
        """Read, validate and apply the config file; on any error keep the running one."""
        async with self._lock:
            if self._closed:
                return self._failed(trigger, ["the daemon is stopping"])
            path = self._target.config.path
            log.info("config_reload_started", trigger=trigger)  # reading files may stall
            try:
                new, matcher = await asyncio.to_thread(validate_reload, path)
                changes = config_changes(self._target.config, new)
                await self._target.apply(new, matcher, changes)
                for advice in config_warnings(new):  # weak or deprecated, yet working
                    log.warning(advice.event, **advice.fields)
            except ConfigError as err:
                return self._failed(trigger, err.errors)
            except Exception as err:  # e.g. a notifier plugin that cannot be built
                log.exception("config_reload_crashed", trigger=trigger)
                return self._failed(trigger, [f"{path}: {type(err).__name__}: {err}"])
            return self._succeeded(trigger, changes)

    def reload_soon(self, trigger: str = "signal") -> None:
        """Start a reload from a signal handler (reloads queue on the lock)."""
        task = asyncio.get_running_loop().create_task(self.reload(trigger))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Refuse further reloads; returns once one in progress has finished (shutdown)."""
        self._closed = True
        async with self._lock:
            pass

    def _succeeded(self, trigger: str, changes: Changes) -> ReloadResult:
        counts = {name: count for name, count in changes.counts().items() if count}
        log.info("config_reloaded", trigger=trigger, **counts)
        if changes.needs_restart:
            log.warning("config_needs_restart", keys=list(changes.needs_restart))
        self._tell(True)
        return ReloadResult(True, changes)

    def _failed(self, trigger: str, errors: Iterable[str]) -> ReloadResult:
        # Config errors never carry a value (pydantic's input is dropped), so no secret.
        errors = tuple(errors)
        log.error("config_reload_failed", trigger=trigger, errors=list(errors))
        self._tell(False)
        return ReloadResult(False, errors=errors)

    def _tell(self, ok: bool) -> None:
        if self.on_outcome is not None:
            self.on_outcome(ok)


def routes_for(alerting: AlertingSettings, enabled: tuple[str, ...]) -> Routes:
    """Which notifiers an alert goes to, from ``[alerting]`` and the enabled notifiers."""
    return Routes(
        enabled,
        severity_routes=dict(alerting.severity_routes.items()),
        min_severity={name: route.min_severity for name, route in alerting.routes.items()},
    )


def alert_policy_for(config: Config, enabled: tuple[str, ...]) -> AlertPolicy:
    return AlertPolicy(
        routes_for(config.settings.alerting, enabled),
        config.settings.alerting,
        {rule.name: rule.notifiers for rule in config.ruleset.rules},
    )


def notifier_secrets(config: Config) -> list[str]:
    # Enabled notifiers only: a disabled one is not validated beyond its type (decision
    # 0005), so its fields may be plain strings, and it never sends anything to redact.
    return [secret for conf in config.enabled_notifiers.values() for secret in conf.secret_values()]


def log_secrets(config: Config) -> list[str]:
    """Every secret the configuration holds, for :func:`set_log_secrets`: the notifiers',
    the feeds' credentials, the store URL's password, the listener's token, the key of its
    feedback links and the API's tokens."""
    settings = config.settings
    url = settings.store.url.get_secret_value() if settings.store.url else ""
    listener = settings.listener
    token = listener.token.get_secret_value() if listener.token else ""
    links = listener.feedback_secret.get_secret_value() if listener.feedback_secret else ""
    feeds = [secret for feed in settings.feeds for secret in feed.secret_values()]
    api = [item.secret.get_secret_value() for item in settings.api.tokens]
    return [*notifier_secrets(config), *feeds, *url_secrets(url), *filter(None, [token, links]),
            *api]  # fmt: skip


def install_reload_route(listener: HttpListener, reloader: Reloader) -> None:
    """``POST /-/reload``: 200 with the changes, 400 with every error."""

    async def reload_route(request: Request) -> Response:
        if request.path != RELOAD_PATH:
            return Response(404, b"not found")
        result = await reloader.reload("http")
        return result.http_response()

    listener.route("POST", RELOAD_PATH, reload_route)


def install_reload_signal(reloader: Reloader) -> None:
    """SIGHUP reloads the configuration (``kill -HUP``, ``systemctl reload``)."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reloader.reload_soon)
