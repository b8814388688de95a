"""Feeds from the files ``include`` names, beside the rules those files may hold.

An included file may hold ``[[feeds]]`` tables as the main file does (``wirewatch feeds
import`` writes there, never into the main file). Each is validated where it is
written: a problem names the included file, its line and key. A feed whose URL another
file (or the same one) already lists is a problem too, as in the main file.

Each included file is parsed once (:func:`read_included`): its feeds are read here and
its rules by the rule loader from the same document, and where its keys are written is
scanned only when a problem needs a line (as for the main file, ``Problems.locator``).
With 10,000 feeds in an included file, the second parse and the eager scan made loading
the config 3.5 times as slow as with the same feeds in the main file, and the config is
loaded before the listener binds (decision 0057).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import tomli
from pydantic import ValidationError

import rules
from monitor.config.feeds import FeedSettings
from monitor.config.problems import Problems, dotted


@dataclass(frozen=True, slots=True)
class Included:
    """One included file: its name, its text and its TOML document, parsed once (None when
    it does not parse: the rule loader parses it again to say where, and reports it)."""

    name: str
    text: str
    document: dict[str, Any] | None


def read_included(name: str, text: str) -> Included:
    """``text`` of the included file ``name``, parsed."""
    try:
        document: dict[str, Any] | None = tomli.loads(text)
    except (ValueError, RecursionError):  # reported by the rule loader (a TOMLDecodeError too)
        document = None
    return Included(name, text, document)


class _Lines:
    """Where keys are written in one file: scanned the first time a problem asks."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._locator: rules.KeyLocator | None = None

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        if self._locator is None:
            self._locator = rules.KeyLocator(self._text)
        return self._locator.line_of(loc)


class IncludedFeed(NamedTuple):
    """A feed read from an included file, with where: ``feeds[position]`` of ``file``."""

    feed: FeedSettings
    file: str
    position: int


def included_feeds(
    sources: Sequence[Included], known: Sequence[FeedSettings], problems: Problems
) -> tuple[IncludedFeed, ...]:
    """Every valid ``[[feeds]]`` table of the included ``sources`` (read in order), none
    of them a URL already among ``known`` or an earlier one; each problem reported."""
    seen = {feed.url: "the config file" for feed in known}
    found: list[IncludedFeed] = []
    for source in sources:
        name, tables, locator = source.name, _feed_tables(source, problems), _Lines(source.text)
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
            found.append(IncludedFeed(feed, name, index))
    return tuple(found)


def _feed_tables(source: Included, problems: Problems) -> list[Any]:
    if source.document is None:
        return []  # reported once, by the rule loader, which reads every included file
    tables = source.document.get("feeds", [])
    if not isinstance(tables, list):
        name = source.name
        problems.add(f"{name}: feeds: must be an array of tables ([[feeds]])", source=name)
        return []
    return tables


def _feed(
    name: str, locator: _Lines, index: int, table: object, problems: Problems
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


def _where(name: str, locator: _Lines, loc: Sequence[str | int]) -> str:
    line = locator.line_of(loc)
    return f"{name}:{line}: {dotted(loc)}" if line else f"{name}: {dotted(loc)}"
