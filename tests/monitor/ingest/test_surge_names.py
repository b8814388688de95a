"""What a stored article tells the surge detector: its names, folded once each, an
entity-list term counted as its entry."""

from __future__ import annotations

from dataclasses import replace

import pytest

import monitor.ingest.surge_names as surge_names
import rules
from monitor.config import SurgeSettings
from monitor.ingest import Ingested, entity_names, sighting_of
from monitor.records.models import DedupDecision, StoryFacts, Verdict
from monitor.surges import SurgeDetector, SurgeKind
from monitor.surges.state import load_memory
from monitor.surges.tracks import FirstReport, Track
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


def test_a_stored_articles_names_are_held_as_lone_reports_until_seen_again() -> None:
    """Most names come once: each is held as one report. The article's copy (its story
    and outlet again) adds nothing; another outlet's report makes a window of two."""
    detector = SurgeDetector(SurgeSettings(stories=False))
    sighting = sighting_of(_stored(("Ḥamā",), ("Iranian",), []), entity_names(RULESET))
    held = []
    for seen in (sighting, sighting, replace(sighting, outlet="http://outlet-2.test/feed")):
        detector.observe(seen)
        names = load_memory(detector.snapshot()).tracks[SurgeKind.NAME]
        held.append({key: (type(track), track.count) for key, track in names.items()})
    lone, two = (FirstReport, 1), (Track, 2)
    assert held == [{"hama": lone, "iran": lone}] * 2 + [{"hama": two, "iran": two}]


def test_names_resolved_lately_are_kept_bounded_and_resolve_alike_when_let_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name met again is looked up, not folded again; the names kept are let go at the
    bound, and a name resolves to the same key and label with or without them."""
    monkeypatch.setattr(surge_names, "NAME_KEYS_KEPT", 2)
    entities = entity_names(RULESET)
    places = ("Ḥamā", "Хомс", "Latakia", "HAMA", "IRANIAN", "Ḥamā")
    met = [
        sighting_of(_stored((place,), (), []), entities).names for place in places
    ]  # fmt: skip
    assert met == [(("hama", "Ḥamā"),), (("хомс", "Хомс"),), (("latakia", "Latakia"),),
                   (("hama", "HAMA"),), (("iran", "Iran"),), (("hama", "Ḥamā"),)]  # fmt: skip
    assert len(entities.resolved) <= 2
    assert entities.resolved["Ḥamā"] == ("hama", "Ḥamā")
