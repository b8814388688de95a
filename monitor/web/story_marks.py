"""What a story matched: its rules with their terms, and where they are in an article.

The store keeps which terms an alert matched, not where, and a story's articles come in
several languages: the English report matched "Hezbollah", the Arabic one says
"حزب الله" and the Russian one "Хезболла". So each article is explained afresh by the
rules that alerted on its story (the current rules, ``Matcher.explain``), and every hit
of those rules' terms is marked, whatever the script, at the offsets the engine reports
(folding, inflection and word boundaries as in matching; never a substring search).
A term under ``none_of`` is what vetoes a rule, not what it matched: never marked.
A rule no longer configured falls back to its alerts' recorded terms, found with
``rules.find_terms`` (the same folding).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import rules
from monitor.records import AlertRecord

# A rule name → the terms its alerts on the story recorded.
TermsByRule = Mapping[str, Sequence[str]]
_VETO = "none_of"
_SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str
    severity: str
    terms: tuple[str, ...]
    events: tuple[str, ...]


def rule_hits(alerts: Sequence[AlertRecord]) -> tuple[RuleHit, ...]:
    """One entry per rule: its highest severity, every term and event its alerts recorded."""
    by_rule: dict[str, list[AlertRecord]] = {}
    for alert in alerts:
        by_rule.setdefault(alert.rule, []).append(alert)
    return tuple(
        RuleHit(
            rule=rule,
            severity=max((a.severity for a in items), key=_severity_rank),
            terms=tuple(dict.fromkeys(term for a in items for term in a.terms)),
            events=tuple(a.event for a in items),
        )
        for rule, items in by_rule.items()
    )


def _severity_rank(severity: str) -> int:
    return _SEVERITIES.index(severity) if severity in _SEVERITIES else -1


class Alerted(Protocol):
    """An alert as a record (``AlertRecord``) or as the API serves it (``api.Alert``)."""

    @property
    def rule(self) -> str: ...
    @property
    def terms(self) -> Sequence[str]: ...
    @property
    def surge_id(self) -> str | None: ...


def terms_by_rule(alerts: Iterable[Alerted]) -> dict[str, list[str]]:
    """Each rule that alerted (surges aside) → every term its alerts recorded."""
    found: dict[str, list[str]] = {}
    for alert in alerts:
        if alert.surge_id is None:
            terms = found.setdefault(alert.rule, [])
            terms += [term for term in alert.terms if term not in terms]
    return found


def story_hits(
    fields: Mapping[str, str],
    context: rules.MatchContext,
    matcher: rules.Matcher | None,
    rule_terms: TermsByRule,
) -> list[rules.Hit]:
    """Every hit in ``fields`` of the terms of the rules in ``rule_terms``."""
    configured = set(matcher.rule_names) if matcher is not None else set()
    current = [rule for rule in rule_terms if rule in configured]
    hits: list[rules.Hit] = []
    if matcher is not None and current:
        for explanation in matcher.explain(fields, context, rules=current):
            hits += matched_hits(explanation.checks)
    recorded = [term for rule, terms in rule_terms.items() if rule not in configured
                for term in terms]  # fmt: skip
    return hits + recorded_hits(fields, recorded, context.language)


def matched_hits(checks: Iterable[rules.Check]) -> list[rules.Hit]:
    """The hits of every check, except those that would veto the rule."""
    found: list[rules.Hit] = []
    for check in checks:
        if check.label.startswith(_VETO):
            continue
        found += check.hits
        found += matched_hits(check.children)
    return found


def recorded_hits(
    fields: Mapping[str, str], terms: Sequence[str], language: str
) -> list[rules.Hit]:
    """``terms`` found in each field as the matcher would find them."""
    if not terms:
        return []
    return [
        rules.Hit(found.term, None, name, found.start, found.end)
        for name, text in fields.items()
        for found in rules.find_terms(text, terms, language=language)
    ]


def spans(hits: Iterable[rules.Hit], field: str) -> list[tuple[int, int]]:
    """The distinct (start, end) of the hits in ``field``, in order."""
    return sorted({(hit.start, hit.end) for hit in hits if hit.field == field})


def terms_found(hits: Iterable[rules.Hit]) -> tuple[str, ...]:
    """The distinct terms hit, as the rules write them, in first-seen order."""
    return tuple(dict.fromkeys(hit.term for hit in hits))
