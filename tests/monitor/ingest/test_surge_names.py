"""What a stored article tells the surge detector: its names, folded once each, an
entity-list term counted as its entry."""

from __future__ import annotations

import pytest

import rules
from monitor.ingest import Ingested, entity_names, sighting_of
from monitor.records.models import DedupDecision, StoryFacts, Verdict
from tests.support.stories import article, match

IRAN = rules.Entry("Iran", aliases=("Iranian", "Islamic Republic of Iran"))
RULESET = rules.RuleSet(
    entities={"states": rules.EntityList("states", "actor", (IRAN,))}, keywords={}, rules=()
)


def _stored(places: tuple[str, ...], actors: tuple[str, ...], hits: list[str]) -> Ingested:
    facts = StoryFacts("http://outlet-1.test/feed", places=places, actors=actors)
    matches = (match("iran-watch", terms=hits, refs=["states"] * len(hits)),) if hits else ()
    decision = DedupDecision(Verdict.NEW_STORY, "s1", facts=facts)
    return Ingested(article("Iranian forces near Hama", outlet=1, number=1), decision, matches, ())


@pytest.mark.parametrize(("places", "actors", "hits", "names"), [
    # an entity-list term, as a hit names it or as the headline writes it: its entry
    ((), (), ["Iranian"], (("iran", "Iran"),)),
    ((), ("IRANIAN",), [], (("iran", "Iran"),)),
    ((), ("Islamic Republic of Iran",), ["Iran"], (("iran", "Iran"),)),
    # other names: folded for the key, shown as first written
    (("Ḥamā",), ("Iranian",), ["Iran"], (("hama", "Ḥamā"), ("iran", "Iran"))),
    (("Хомс", "ХОМС"), (), [], (("хомс", "Хомс"),)),
    (("",), ("...",), [], ()),
])  # fmt: skip
def test_each_name_is_counted_once_by_its_folded_key(
    places: tuple[str, ...], actors: tuple[str, ...], hits: list[str], names: object
) -> None:
    sighting = sighting_of(_stored(places, actors, hits), entity_names(RULESET))
    assert sighting.names == names
    assert sighting.rules == (("iran-watch",) if hits else ())


def test_every_term_of_an_entry_as_written_and_folded_names_the_entry() -> None:
    entities = entity_names(RULESET)
    for term in IRAN.terms:
        assert entities[term] == ("iran", "Iran")
        assert entities[term.casefold()] == ("iran", "Iran")
