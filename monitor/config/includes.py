"""Feeds from the files ``include`` names, beside the rules those files may hold.

An included file may hold ``[[feeds]]`` tables as the main file does (``wirewatch feeds
import`` writes there, never into the main file). Each is validated where it is
written: a problem names the included file, its line and key. A feed whose URL another
file (or the same one) already lists is a problem too, as in the main file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

import rules
from monitor.config.feeds import FeedSettings
from monitor.config.problems import Problems, dotted

Source = tuple[str, str]  # (file name, text)


def included_feeds(
    sources: Sequence[Source], known: Sequence[FeedSettings], problems: Problems
) -> tuple[FeedSettings, ...]:
    """Every valid ``[[feeds]]`` table of the included ``sources`` (read in order), none
    of them a URL already among ``known`` or an earlier one; each problem reported."""
    seen = {feed.url: "the config file" for feed in known}
    found: list[FeedSettings] = []
    for name, text in sources:
        tables = _feed_tables(name, text, problems)
        locator = rules.KeyLocator(text)
        for index, table in enumerate(tables):
            feed = _feed(name, locator, index, table, problems)
            if feed is None:
                continue
            if feed.url in seen:
                loc = ("feeds", index, "url")
                message = (
                    f"{_where(name, locator, loc)}: duplicate feed url (also in {seen[feed.url]})"
                )
                problems.add(message, source=name, line=locator.line_of(loc))
                continue
            seen[feed.url] = name
            found.append(feed)
    return tuple(found)


def _feed_tables(name: str, text: str, problems: Problems) -> list[Any]:
    try:
        tables = tomllib.loads(text).get("feeds", [])
    except (tomllib.TOMLDecodeError, RecursionError):
        return []  # reported once, by the rule loader, which reads every included file
    if not isinstance(tables, list):
        problems.add(f"{name}: feeds: must be an array of tables ([[feeds]])", source=name)
        return []
    return tables


def _feed(
    name: str, locator: rules.KeyLocator, index: int, table: object, problems: Problems
) -> FeedSettings | None:
    try:
        return FeedSettings.model_validate(table)
    except ValidationError as err:
        for detail in err.errors(include_url=False, include_input=False):
            loc = ("feeds", index, *detail["loc"])
            line = locator.line_of(loc)
            message = f"{_where(name, locator, loc)}: {detail['msg']}"
            problems.add(message, source=name, line=line)
        return None


def _where(name: str, locator: rules.KeyLocator, loc: Sequence[str | int]) -> str:
    line = locator.line_of(loc)
    return f"{name}:{line}: {dotted(loc)}" if line else f"{name}: {dotted(loc)}"
