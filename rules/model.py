"""The rule language as plain, frozen records.

A rule's condition is a tree: ``Group`` nodes combine leaves with all/any/none,
``Near`` nodes ask for their items close together (within N words, or in one
sentence), and each leaf is either a ``Ref`` to a named entity list or keyword
set, or inline ``Terms``. A term ending in ``*`` is a prefix (``deploy*``); a
term also matches its inflected forms (``rules.inflection``) unless its entry or
keyword set is ``exact``.
Around the condition a rule may weigh lists into a score with a threshold and
severity bands, require several outlets (corroboration), limit itself to some
feeds, and carry examples that must or must not match.

Locations are kept for error messages only; they take no part in equality, so
the same rule loaded from two files compares equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import FrozenInstanceError, dataclass, field
from enum import StrEnum
from typing import Literal


class Severity(StrEnum):
    """How urgent a rule's match is; members are listed lowest first, which ranks them."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return SEVERITIES.index(self)


SEVERITIES: tuple[Severity, ...] = tuple(Severity)
# What a rule reads unless it says otherwise; ``body``: the article page's text, when fetched.
FIELDS = ("title", "summary", "content", "body")
ALL_FIELDS = (*FIELDS, "feed", "tags", "domain")  # feed name, feed tags, the link's domain
SENTENCE = "sentence"  # ``Near.within`` for "in the same sentence"

GroupOp = Literal["all", "any", "none"]


class Location:
    """Where something is written: file, line (when known) and TOML key.

    Finding a line means scanning the whole file, which a valid file never needs, so
    ``Location.deferred`` holds a function that finds it, called the first time the line
    is read (by a message, a comparison, a hash or a pickle). Frozen like the records
    that hold it; equal when file, line and key are equal.
    """

    __slots__ = ("_find_line", "_line", "key", "source")
    source: str
    key: str
    _line: int | None
    _find_line: Callable[[], int | None] | None

    def __init__(self, source: str, line: int | None = None, key: str = "") -> None:
        for name, value in (("source", source), ("key", key), ("_line", line)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_find_line", None)

    @classmethod
    def deferred(cls, source: str, key: str, find_line: Callable[[], int | None]) -> Location:
        """A location whose line ``find_line`` gives, asked once and only when read."""
        location = cls(source, None, key)
        object.__setattr__(location, "_find_line", find_line)
        return location

    @property
    def line(self) -> int | None:
        find_line = self._find_line
        if find_line is not None:
            object.__setattr__(self, "_line", find_line())
            object.__setattr__(self, "_find_line", None)
        return self._line

    @property
    def where(self) -> str:
        """``file:line``, or just the file when the line is unknown."""
        return self.source if self.line is None else f"{self.source}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.key}" if self.key else self.where

    def __repr__(self) -> str:
        return f"Location(source={self.source!r}, line={self.line!r}, key={self.key!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Location):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[Location], tuple[str, int | None, str]]:
        return (Location, self._fields())  # the line itself, not the means to find it

    def _fields(self) -> tuple[str, int | None, str]:
        return (self.source, self.line, self.key)


@dataclass(frozen=True, slots=True)
class Fuzzy:
    """Approximate matching for one entry: words at least ``min_length`` long that score
    ``threshold`` (0-100, rapidfuzz ratio) against a spelling also count as hits."""

    threshold: float
    min_length: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One entity in a list: its name and the other ways the news writes it."""

    name: str
    aliases: tuple[str, ...] = ()
    fuzzy: Fuzzy | None = None
    exact: bool = False  # match only the spellings written, not their inflected forms

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
    exact: bool = False  # match only the spellings written, not their inflected forms


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
    """All, any or none of ``items`` must hit; ``fields``, when given, replaces the rule's."""

    op: GroupOp
    items: tuple[Condition, ...]
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Near:
    """Every item hits, and in one field some hit of each lies within ``within`` words of
    the others (or, with ``within = SENTENCE``, all in one sentence)."""

    items: tuple[Condition, ...]
    within: int | str
    fields: tuple[str, ...] = ()


Leaf = Ref | Terms
Condition = Ref | Terms | Group | Near


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every leaf of a condition tree, depth first, in the order written."""
    if isinstance(condition, Group | Near):
        for item in condition.items:
            yield from leaves(item)
    else:
        yield condition


def needs_a_hit(condition: Condition) -> bool:
    """True when the condition can only hold if some term is found.

    A rule that could fire on an article mentioning nothing (say, ``any_of`` holding a
    ``none_of``) would alert on every article; the loader refuses it.
    """
    if isinstance(condition, Group):
        if condition.op == "none":
            return False
        if condition.op == "all":
            return any(map(needs_a_hit, condition.items))
        return bool(condition.items) and all(map(needs_a_hit, condition.items))
    return True


@dataclass(frozen=True, slots=True)
class Example:
    """A text a rule must match (``expect`` True) or must not; a rule test.

    Unset scope keys take values that satisfy the rule's own scope: its first feed,
    its feed tags, and ``min_outlets`` outlets.
    """

    expect: bool
    title: str = ""
    summary: str = ""
    content: str = ""
    body: str = ""  # the article page's text
    feed: str | None = None
    tags: tuple[str, ...] | None = None
    link: str = ""
    outlets: int | None = None
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What the matcher knows about an article besides its text.

    ``outlets`` is how many distinct outlets have reported the article's story,
    this one included; rules with ``min_outlets`` compare against it. ``language`` is
    the article's language code ("ar"), "" when it could not be told.
    """

    feed_url: str = ""
    feed_name: str = ""
    feed_tags: tuple[str, ...] = ()
    link: str = ""
    outlets: int = 1
    language: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """A watch rule: fires on an article whose chosen fields satisfy ``condition``."""

    name: str
    condition: Group
    description: str = ""
    severity: Severity = Severity.MEDIUM
    enabled: bool = True
    fields: tuple[str, ...] = FIELDS
    notifiers: tuple[str, ...] = ()  # empty: every notifier (the daemon decides)
    location: Location | None = field(default=None, compare=False)
    weights: tuple[tuple[str, float], ...] = ()  # (list name, weight), in the order written
    threshold: float | None = None  # the score a weighted rule must reach
    bands: tuple[tuple[Severity, float], ...] = ()  # (severity, lowest score), ascending
    min_outlets: int = 1
    feeds: tuple[str, ...] = ()  # feed names or URLs; empty: every feed
    feed_tags: tuple[str, ...] = ()  # the feed must carry one of these; empty: any feed
    languages: tuple[str, ...] = ()  # the article's language is one of these; empty: any
    examples: tuple[Example, ...] = ()

    @property
    def scored(self) -> bool:
        return bool(self.weights)

    def severity_for(self, score: float | None) -> Severity:
        """The severity of a match: from the highest band ``score`` reaches, else fixed."""
        chosen = self.severity
        for severity, lowest in self.bands:
            if score is not None and score >= lowest:
                chosen = severity
        return chosen


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every list and rule from all rule sources, merged and checked."""

    entities: Mapping[str, EntityList]
    keywords: Mapping[str, KeywordSet]
    rules: tuple[Rule, ...]
    packs: tuple[str, ...] = ()  # bundled vocabulary packs the sources use

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
