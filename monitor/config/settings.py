"""Configuration: one TOML file, overridable by ``WIREWATCH_*`` environment variables.

The file holds daemon settings (validated here with pydantic-settings), notifier
tables (validated by each notifier's own model) and watch rules (validated by
``rules``; they, and feeds, may also live in files named by ``include``). Every problem of
all three kinds is collected and reported at once, each with file, line and key
path; secrets are never echoed.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli
from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

import notifiers
import rules
from monitor.config.alerting import AlertingSettings
from monitor.config.api import ApiSettings
from monitor.config.checks import (
    check_feeds,
    check_names,
    check_store_path,
    check_surge_notifiers,
)
from monitor.config.daemon import DaemonSettings
from monitor.config.dedup import DedupSettings
from monitor.config.feeds import FeedSettings, ListenerSettings
from monitor.config.includes import Included, included_feeds, read_included
from monitor.config.logs import LogSettings
from monitor.config.problems import Problems
from monitor.config.retention import RetentionSettings
from monitor.config.store import StoreSettings
from monitor.config.surges import SurgeSettings
from monitor.config.validate import validate_settings
from notifiers import NotifierConfig

# The tables' models live in modules of their own; importing them from here still works.
__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "ConfigError",
    "DaemonSettings",
    "DedupSettings",
    "LogSettings",
    "Settings",
    "StoreSettings",
    "default_config_path",
    "load_config",
]

DEFAULT_CONFIG_PATH = "wirewatch.toml"


class Settings(BaseSettings):
    """Daemon settings. Rule and notifier tables are checked by their own packages."""

    model_config = SettingsConfigDict(
        env_prefix="WIREWATCH_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    include: tuple[str, ...] = ()
    daemon: DaemonSettings = DaemonSettings()
    store: StoreSettings = StoreSettings()
    dedup: DedupSettings = DedupSettings()
    log: LogSettings = LogSettings()
    alerting: AlertingSettings = AlertingSettings()
    retention: RetentionSettings = RetentionSettings()
    surge: SurgeSettings = SurgeSettings()
    listener: ListenerSettings = ListenerSettings()
    api: ApiSettings = ApiSettings()
    feeds: tuple[FeedSettings, ...] = ()
    notifiers: dict[str, dict[str, Any]] = {}
    # Rule tables are accepted here as-is and validated by ``rules`` (one report per mistake).
    use: Any = None  # bundled vocabulary packs
    entities: Any = None
    keywords: Any = None
    rules: Any = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's document arrives as init kwargs; the environment wins over it.
        return (env_settings, init_settings)


@dataclass(frozen=True)
class Config:
    """A fully validated configuration: settings, rules and notifier configs."""

    path: str
    settings: Settings
    ruleset: rules.RuleSet
    notifiers: Mapping[str, NotifierConfig]
    # Feed URL -> (file, index in its [[feeds]]) for the feeds an included file holds.
    feed_files: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def enabled_notifiers(self) -> dict[str, NotifierConfig]:
        return {name: conf for name, conf in self.notifiers.items() if conf.enabled}

    @property
    def feeds(self) -> tuple[FeedSettings, ...]:
        return tuple(feed for feed in self.settings.feeds if feed.enabled)


class ConfigError(Exception):
    """Invalid configuration; ``errors`` lists every problem, one line each. ``ruleset`` is
    the rules when they loaded all the same, so ``check`` can run their examples too."""

    def __init__(self, errors: Sequence[str], *, ruleset: rules.RuleSet | None = None) -> None:
        super().__init__(f"{len(errors)} configuration error(s)")
        self.errors = list(errors)
        self.ruleset = ruleset


def default_config_path() -> str:
    return os.environ.get("WIREWATCH_CONFIG") or DEFAULT_CONFIG_PATH


def load_config(path: str | os.PathLike[str], *, check_paths: bool = False) -> Config:
    """Read, validate and cross-check a config file; :class:`ConfigError` lists every error,
    of every table and included file, in one go. ``check_paths``: also the directory the
    store will be written to (``check`` and ``run``; other commands only read it)."""
    path = str(path)
    text = _read_text(path)
    document = _parse_toml(path, text)
    problems = Problems(path, text)
    settings = validate_settings(Settings, document, problems)
    included = _read_included(path, document, problems)
    feed_files: dict[str, tuple[str, int]] = {}
    if settings is not None:  # feeds may live in included files too (monitor.config.includes)
        extra = included_feeds(included, settings.feeds, problems)
        feed_files = {feed.url: (file, index) for feed, file, index in extra}
        added = tuple(found.feed for found in extra)
        settings = settings.model_copy(update={"feeds": settings.feeds + added})
    notifier_names = _notifier_names(settings, document)
    ruleset, rule_names = _load_rules(path, (text, document), included, problems, notifier_names)
    notifier_configs = _validate_notifiers(settings, problems)
    if settings is not None and notifier_names is not None:
        _cross_check(settings, notifier_names, rule_names, problems, check_paths=check_paths)
    if problems or settings is None or ruleset is None:
        raise ConfigError(problems.messages(), ruleset=ruleset)
    return Config(path=path, settings=settings, ruleset=ruleset, notifiers=notifier_configs,
                  feed_files=feed_files)  # fmt: skip


def _notifier_names(settings: Settings | None, document: Mapping[str, Any]) -> set[str] | None:
    """The names rules and routes may use: every notifier table, one dropped for its own
    (reported) errors included, so that its name is not reported as unknown too."""
    if settings is None:
        return None
    written = document.get("notifiers")
    return set(settings.notifiers) | (set(written) if isinstance(written, dict) else set())


def _cross_check(
    settings: Settings,
    notifier_names: Collection[str],
    rule_names: Collection[str],
    problems: Problems,
    *,
    check_paths: bool,
) -> None:
    """What one table says of another: the names it uses exist, no feed comes twice."""
    check_feeds(settings.feeds, problems)
    daemon, alerting = settings.daemon, settings.alerting
    check_names(daemon.operator_notifiers, alerting, notifier_names, rule_names, problems)
    check_surge_notifiers(settings.surge.notifiers, notifier_names, problems)
    if check_paths and settings.store.backend == "sqlite":
        check_store_path(settings.store.path, problems)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"{path}: cannot read: {type(err).__name__}"]) from None


def _parse_toml(path: str, text: str) -> dict[str, Any]:
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        raise ConfigError([f"{path}: invalid TOML: {err}"]) from None
    except RecursionError:  # the parser recurses per nesting level; a hostile file goes deep
        raise ConfigError([f"{path}: invalid TOML: arrays or tables nested too deeply"]) from None
    except ValueError:  # not a TOMLDecodeError: int() refused a number of too many digits
        too_long = f"a number of more than {sys.get_int_max_str_digits()} digits"
        raise ConfigError([f"{path}: invalid TOML: {too_long}"]) from None


def _read_included(path: str, document: Mapping[str, Any], problems: Problems) -> list[Included]:
    """Every file ``include`` matches, in order, read and parsed once (its feeds and its
    rules are read from the one document); each unreadable one reported."""
    found: list[Included] = []
    for included in _included_files(path, document.get("include", ()), problems):
        try:
            found.append(read_included(included, _read_text(included)))
        except ConfigError as err:
            for message in err.errors:
                problems.add(message, source=included)
    return found


def _load_rules(
    path: str,
    parsed: tuple[str, dict[str, Any]],
    included: Sequence[Included],
    problems: Problems,
    notifiers: Collection[str] | None,
) -> tuple[rules.RuleSet | None, tuple[str, ...]]:
    """The rules (None when invalid) and the names of the rules read either way; the
    config file's text comes parsed (parsing 10,000 feeds twice doubled the load's time)."""
    text, document = parsed
    sources = [rules.RuleSource(name=path, text=text, document=document)]
    sources += [rules.RuleSource(name=file.name, text=file.text, document=file.document)
                for file in included]  # fmt: skip
    try:
        ruleset = rules.load_ruleset(sources, notifiers=notifiers)
    except rules.RuleSetError as err:
        problems.rule_errors(err.errors)
        return None, err.rule_names
    return ruleset, tuple(rule.name for rule in ruleset.rules)


def _included_files(path: str, patterns: object, problems: Problems) -> list[str]:
    """The files ``include`` names, in order. A file named outright must exist (a typo is
    reported); a pattern may match none (``feeds.d/*.toml`` before the first import)."""
    if not isinstance(patterns, list | tuple):
        return []
    base = Path(path).parent
    found: list[str] = []
    for index, pattern in enumerate(patterns):
        matches = sorted(glob.glob(str(base / str(pattern))))
        if not matches and not any(char in str(pattern) for char in "*?["):
            problems.at(("include", index), f"no file matches {pattern!r}")
        found.extend(matches)
    return found


def _validate_notifiers(settings: Settings | None, problems: Problems) -> dict[str, NotifierConfig]:
    configs: dict[str, NotifierConfig] = {}
    for name, raw in (settings.notifiers if settings else {}).items():
        try:
            configs[name] = _validate_notifier(raw)
        except ValidationError as err:
            errors = err.errors(include_url=False, include_input=False)
            problems.validation(errors, _notifier_model(raw), ("notifiers", name))
    return configs


def _notifier_model(raw: Mapping[str, Any]) -> type[BaseModel]:
    """The model of a notifier table, by its type (the base model for an unknown type)."""
    kind = notifiers.notifier_types().get(str(raw.get("type")))
    return kind.Config if kind is not None else NotifierConfig


def _validate_notifier(raw: Mapping[str, Any]) -> NotifierConfig:
    # A disabled notifier may lack its secrets (the example config ships that way).
    if raw.get("enabled", True) is False:
        kind = notifiers.notifier_types().get(str(raw.get("type")))
        if kind is None:
            return notifiers.validate_notifier_config(raw)
        return kind.Config.model_construct(**raw)
    return notifiers.validate_notifier_config(raw)
