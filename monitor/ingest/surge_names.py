"""The names and rules the surge stage hands the detector for each stored article: an
article's sighting (its story, independent outlet, matched rules and names), with the rule
packs' entity-list terms resolved to their entries (``EntityNames``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import rules
from monitor.ingest.batch import Ingested
from monitor.stories import fold
from monitor.surges import Sighting, sighted_at

__all__ = [
    "NAME_KEYS_KEPT",
    "EntityNames",
    "entity_names",
    "matched_rules",
    "names_of",
    "sighting_of",
]

# Names resolved lately (folded, or found in the entity lists), kept: the same names recur
# from article to article, and folding one costs more than the detector's counting of it.
# Bounded: a few MiB at most.
NAME_KEYS_KEPT = 16_384


class EntityNames(dict[str, tuple[str, str]]):
    """An entity-list term, as written or folded, to its entry's (folded key, name); and
    the names met lately resolved to their (folded key, as shown), kept (at most
    ``NAME_KEYS_KEPT``, all let go at once when full) so a name met again costs one
    lookup, not a fold and two."""

    __slots__ = ("resolved",)

    def __init__(self, terms: Mapping[str, tuple[str, str]] | None = None) -> None:
        super().__init__(terms or {})
        self.resolved: dict[str, tuple[str, str]] = {}  # read first: see ``names_of``

    def resolve(self, written: str) -> tuple[str, str]:
        """(folded key, as shown) of a name as written: an entity-list term is its entry;
        any other name is shown as written (its key is empty when nothing is left of it
        folded)."""
        resolved = self.resolved.get(written)
        if resolved is None:
            resolved = self.get(written) or self.get(folded := fold(written)) or (folded, written)
            if len(self.resolved) >= NAME_KEYS_KEPT:
                self.resolved.clear()
            self.resolved[written] = resolved
        return resolved


def entity_names(ruleset: rules.RuleSet | None) -> EntityNames:
    """Every term of the rule packs' entity lists, folded, to its entry's folded name and
    its name: "Iranian" and "Iran" are one name, shown as the entry is called. Each term
    as the pack writes it (as a hit names it) maps to what its folded form maps to, so a
    hit's name is found without folding it."""
    if ruleset is None:
        return EntityNames()
    terms = [
        (term, entry.name)
        for entities in ruleset.entities.values()
        for entry in entities.entries
        for term in entry.terms
    ]
    folded = {fold(term): (fold(name), name) for term, name in terms}
    return EntityNames({**{term: folded[fold(term)] for term, _ in terms}, **folded})


def sighting_of(item: Ingested, entities: EntityNames) -> Sighting:
    """What the detector learns from one stored article: its story, its independent
    outlet, the rules it matched and the names in it (folded key, as written)."""
    article, decision, matches = item.article, item.decision, item.matches
    facts = decision.facts
    return Sighting(  # positional: one is built per stored article
        sighted_at(article.published, article.fetched_at),
        decision.story_id,
        facts.outlet or article.feed_url,
        article.title,
        matched_rules(matches) if matches else (),
        names_of(facts.places, facts.actors, matches, entities),
    )


def matched_rules(matches: Sequence[rules.Match]) -> tuple[str, ...]:
    if len(matches) == 1:  # most matched articles: one rule (nothing to repeat)
        return (matches[0].rule,)
    return tuple(dict.fromkeys(match.rule for match in matches))


def names_of(
    places: Sequence[str],
    actors: Sequence[str],
    matches: Sequence[rules.Match],
    entities: EntityNames,
) -> tuple[tuple[str, str], ...]:
    """The places and actors named in the headline and lead, and the entity-list terms
    the rules hit, each once by its folded form; a term of an entity list is its entry
    (``entities``), else it is shown as first written."""
    found: dict[str, tuple[str, str]] = {}  # the resolved pairs themselves: nothing built
    known, resolve = entities.resolved, entities.resolve
    for written in (*places, *actors, *_hit_terms(matches)) if matches else (*places, *actors):
        resolved = known.get(written) or resolve(written)  # most names met before
        if (key := resolved[0]) and key not in found:
            found[key] = resolved
    return tuple(found.values())


def _hit_terms(matches: Sequence[rules.Match]) -> dict[str, None]:
    """The entity-list terms the rules hit, each once (a term is hit again and again)."""
    return {hit.term: None for match in matches for hit in match.hits if hit.ref is not None}
