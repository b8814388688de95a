"""Checks across the tables of a config: names that must exist elsewhere in it, feeds
listed twice, and the directory the SQLite store will be written to.

Each problem is reported at the key that holds the name or value, with a "did you mean"
for a misspelt name (``rules.unknown_name``, as the rule language does for list names).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import rules
from monitor.config.alerting import AlertingSettings
from monitor.config.feeds import FeedSettings
from monitor.config.problems import Loc, Problems


def check_names(
    operator_notifiers: Sequence[str],
    alerting: AlertingSettings,
    notifiers: Collection[str],
    rule_names: Collection[str],
    problems: Problems,
) -> None:
    """Notifiers named by ``[daemon]`` and ``[alerting]`` exist; so do rules ``[alerting]``
    overrides. (A rule's own ``notifiers`` are checked by the rule loader.)"""
    for loc, name in _named_notifiers(operator_notifiers, alerting):
        if name not in notifiers:
            problems.at(loc, rules.unknown_name("notifier", name, notifiers))
    for name in alerting.rules:
        if name not in rule_names:
            problems.at(("alerting", "rules", name), rules.unknown_name("rule", name, rule_names))


def _named_notifiers(
    operator_notifiers: Sequence[str], alerting: AlertingSettings
) -> Iterator[tuple[Loc, str]]:
    """Every notifier name outside ``[notifiers]`` and rules, with the key that holds it."""
    for index, name in enumerate(operator_notifiers):
        yield ("daemon", "operator_notifiers", index), name
    for name in alerting.routes:
        yield ("alerting", "routes", name), name
    for severity, names in alerting.severity_routes.items():
        for index, name in enumerate(names):
            yield ("alerting", "severity_routes", severity.value, index), name


def check_surge_notifiers(
    names: Sequence[str], notifiers: Collection[str], problems: Problems
) -> None:
    """The notifiers ``[surge] notifiers`` routes surge alerts to exist."""
    for index, name in enumerate(names):
        if name not in notifiers:
            problems.at(
                ("surge", "notifiers", index), rules.unknown_name("notifier", name, notifiers)
            )


def check_feeds(feeds: Sequence[FeedSettings], problems: Problems) -> None:
    seen: set[str] = set()
    for index, feed in enumerate(feeds):
        if feed.url in seen:
            problems.at(("feeds", index, "url"), "duplicate feed url")
        seen.add(feed.url)


def check_store_path(path: str, problems: Problems) -> None:
    """The SQLite store's directory exists and is writable (``check`` and ``run`` only)."""
    if path in ("", ":memory:") or path.startswith("file:"):  # no file, or SQLite's own URI
        return
    problem = store_directory_problem(path)
    if problem is not None:
        problems.at(("store", "path"), problem)


def store_directory_problem(database: str) -> str | None:
    """What stops the daemon writing ``database`` (its file, -wal, -shm and lock files),
    with what to do about it; None when nothing does.

    The daemon never creates the directory itself (docs/decisions/0019): a missing one is
    more often an unmounted volume or a typo than a wish, and a fresh database there
    would send every story in the feeds again as new.
    """
    directory = Path(database).parent
    shown = str(directory) if directory.is_absolute() else f"{directory} (in {Path.cwd()})"
    if not directory.exists():
        return (
            f"directory {shown} does not exist: create it (mkdir -p "
            f"{shlex.quote(str(directory))}) or set [store] path to a file in one that does"
        )
    if not directory.is_dir():
        return f"{shown} is not a directory: set [store] path to a file in a directory"
    if not os.access(directory, os.W_OK | os.X_OK):
        return (
            f"directory {shown} is not writable by this user: give it write permission "
            "or set [store] path to a file in a directory that is"
        )
    if Path(database).exists() and not os.access(database, os.R_OK | os.W_OK):
        return f"{database} is not writable by this user: give it write permission"
    return None
