"""What the tests of the surge stage's batched counting share: a stream of stored
articles (a steady newsroom, then one story's burst), its polls, what it fires counted one
article or one poll at a time, and a stage on a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import monitor.ingest.surges as surge_stage
from monitor.config import SurgeSettings
from monitor.ingest import Ingested, SurgeStage, entity_names, sighting_of
from monitor.ingest.surges import Handed, count_handed, count_polls
from monitor.records.models import DedupDecision, StoryFacts, Verdict
from monitor.store.sqlite.store import SqliteStore
from monitor.surges import Sighting, Surge, SurgeDetector
from tests.support.stories import article, match
from tests.support.surge_streams import MONDAY, Newsroom, in_order, one_story

SETTINGS = SurgeSettings(warmup_hours=0, min_count=5, min_outlets=5)
BURST_AT = MONDAY + timedelta(days=2, hours=10)
OUTLETS = [f"http://breaking{index}.test/feed" for index in range(15)]


def _stored(number: int, sighting: Sighting) -> Ingested:
    """An article as the ingest stores it, carrying ``sighting``'s story, outlet, names
    (as headline places) and rules; every ninth re-delivered (seen: not counted)."""
    facts = StoryFacts(sighting.outlet, places=tuple(shown for _, shown in sighting.names))
    verdict = Verdict.SEEN if number % 9 == 8 else Verdict.NEW_STORY
    decision = DedupDecision(verdict, sighting.story_id, facts=facts)
    item = article(sighting.title, outlet=number % 7, number=number, at=sighting.at)
    matches = tuple(match(rule, terms=()) for rule in sighting.rules)
    return Ingested(item, decision, matches, ())


def stream() -> list[Ingested]:
    """Two days of a steady newsroom, then one story from 15 outlets in 20 minutes."""
    background = Newsroom(4).hours(MONDAY, 48 + 12)
    burst = one_story(BURST_AT, 20, OUTLETS, names=(("kunming", "Kunming"),), rules=("energy",))
    return [_stored(number, one) for number, one in enumerate(in_order(background, burst))]


def polls(stream: list[Ingested], size: int) -> Iterator[list[Ingested]]:
    for start in range(0, len(stream), size):
        yield stream[start : start + size]


def poll_by_poll(polls: list[list[Ingested]]) -> list[list[Surge]]:
    """What each poll's articles make fire, the polls counted one at a time."""
    detector, entities = SurgeDetector(SETTINGS), entity_names(None)
    return [count_handed(detector, [Handed(poll, entities)]) for poll in polls]


def one_by_one(stream: list[Ingested]) -> tuple[list[Surge], bytes]:
    detector, entities = SurgeDetector(SETTINGS), entity_names(None)
    fired = [
        surge
        for item in stream
        if item.decision.verdict is not Verdict.SEEN
        for surge in detector.observe(sighting_of(item, entities))
    ]
    return fired, detector.snapshot()


def counts_noted(monkeypatch: pytest.MonkeyPatch) -> list[list[Sequence[Ingested]]]:
    """The stage's counts noted as they are made: the polls each one counted, in order."""
    counts: list[list[Sequence[Ingested]]] = []

    def counted(detector: SurgeDetector, handed: list[Handed], *rest: Any) -> list[list[Surge]]:
        counts.append([one.ingested for one in handed])
        return count_polls(detector, handed, *rest)

    monkeypatch.setattr(surge_stage, "count_polls", counted)
    return counts


async def stage(
    tmp_path: Path, settings: SurgeSettings = SETTINGS
) -> tuple[SurgeStage, list[list[Surge]]]:
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    sunk: list[list[Surge]] = []

    async def sink(surges: Sequence[Surge]) -> None:
        sunk.append(list(surges))

    return SurgeStage(SurgeDetector(settings), store, sink), sunk
