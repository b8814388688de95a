"""What matching returns: matches with their hits, and explanations of a rule's decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rules.model import Severity


class Hit(NamedTuple):
    """One term found: as the user wrote it, its list (None if inline), where in which field.

    ``start``/``end`` are offsets into the field's text as given to the matcher.
    ``similarity`` is the rapidfuzz score of a fuzzy hit, None for an exact one.
    A named tuple rather than a dataclass: matching makes many, and it is cheaper.
    """

    term: str
    ref: str | None
    field: str
    start: int
    end: int
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that fired, with the distinct terms and every hit that made it fire.

    ``score`` is the weighted score of a rule with ``weights``, else None.
    """

    rule: str
    severity: Severity
    notifiers: tuple[str, ...]
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    description: str = ""
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One part of a rule's decision: a list, a group, proximity, scope, score."""

    label: str
    passed: bool
    hits: tuple[Hit, ...] = ()
    detail: str = ""
    children: tuple[Check, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a rule fired or did not on one article: every check, in the order written."""

    rule: str
    fired: bool
    checks: tuple[Check, ...]
    match: Match | None = None
    score: float | None = None
