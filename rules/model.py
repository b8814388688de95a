"""The rule language as plain, frozen records.

A rule's condition is a tree: ``Group`` nodes combine leaves with all/any/none,
and each leaf is either a ``Ref`` to a named entity list or keyword set, or
inline ``Terms``. New kinds of node (proximity, weights, ...) slot in beside
these without changing the ones that exist.

Locations are kept for error messages only; they take no part in equality, so
the same rule loaded from two files compares equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

SEVERITIES = ("low", "medium", "high", "critical")
FIELDS = ("title", "summary", "content")

GroupOp = Literal["all", "any", "none"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where something is written: file, line (when known) and TOML key."""

    source: str
    line: int | None = None
    key: str = ""

    @property
    def where(self) -> str:
        """``file:line``, or just the file when the line is unknown."""
        return self.source if self.line is None else f"{self.source}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.key}" if self.key else self.where


@dataclass(frozen=True, slots=True)
class Entry:
    """One entity in a list: its name and the other ways the news writes it."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class EntityList:
    """A named list of actors, places, organisations, ... (``kind`` is free-form)."""

    name: str
    kind: str
    entries: tuple[Entry, ...]
    description: str = ""
    location: Location | None = field(default=None, compare=False)

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(term for entry in self.entries for term in entry.terms)


@dataclass(frozen=True, slots=True)
class KeywordSet:
    """A named set of terms, e.g. words that signal escalation."""

    name: str
    terms: tuple[str, ...]
    description: str = ""
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Ref:
    """A leaf naming an entity list or keyword set."""

    name: str


@dataclass(frozen=True, slots=True)
class Terms:
    """A leaf of literal terms written inline in a rule."""

    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """All, any or none of ``items`` must hit."""

    op: GroupOp
    items: tuple[Condition, ...]


Leaf = Ref | Terms
Condition = Ref | Terms | Group


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every leaf of a condition tree, depth first, in the order written."""
    if isinstance(condition, Group):
        for item in condition.items:
            yield from leaves(item)
    else:
        yield condition


@dataclass(frozen=True, slots=True)
class Rule:
    """A watch rule: fires on an article whose chosen fields satisfy ``condition``."""

    name: str
    condition: Group
    description: str = ""
    severity: str = "medium"
    enabled: bool = True
    fields: tuple[str, ...] = FIELDS
    notifiers: tuple[str, ...] = ()  # empty: every notifier (the daemon decides)
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every list and rule from all rule sources, merged and checked."""

    entities: Mapping[str, EntityList]
    keywords: Mapping[str, KeywordSet]
    rules: tuple[Rule, ...]

    @property
    def enabled_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    def terms_of(self, name: str) -> tuple[str, ...]:
        """The terms of the entity list or keyword set called ``name``.

        Raises KeyError when neither exists.
        """
        if name in self.entities:
            return self.entities[name].terms
        return self.keywords[name].terms
