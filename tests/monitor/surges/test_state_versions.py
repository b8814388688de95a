"""Saved detector states of earlier versions: read, and learning goes on from them.

``tests/data/surges/state-v2.bin`` was written by the version-2 detector (the profile
learned each article at once) after 30 hours of ``Newsroom(7)`` from ``MONDAY``;
``state-v3.bin`` by the version-3 detector (a story seen from one outlet held a track)
after the same 30 hours and the first report of a burst (``_burst``)."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor.config import SurgeSettings
from monitor.surges import SurgeDetector, SurgeKind
from monitor.surges.model import Sighting
from monitor.surges.state import VERSION, load_memory
from tests.support.surge_streams import MONDAY, Newsroom, in_order, one_story

STATE_V2 = Path(__file__).parents[2] / "data" / "surges" / "state-v2.bin"
STATE_V3 = Path(__file__).parents[2] / "data" / "surges" / "state-v3.bin"
SAVED_AT = MONDAY + timedelta(hours=30)  # state-v3.bin's
OUTLETS = [f"http://breaking{index}.test/feed" for index in range(15)]


def _document(state: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(zlib.decompress(state.removeprefix(b"wwsurge")))
    return document


def test_a_version_2_state_keeps_what_it_learned() -> None:
    old = _document(STATE_V2.read_bytes())
    assert old["version"] == 2 and "open" not in old["profile"]
    memory = load_memory(STATE_V2.read_bytes())
    assert memory.clock == old["clock"] and memory.exposure == old["exposure"]
    assert memory.profile.counts == old["profile"]["counts"]
    lone = sum(life.outlet is not None for life in memory.lives.values())
    held = {kind: len(memory.tracks[kind]) for kind in SurgeKind}
    assert {**held, SurgeKind.STORY: held[SurgeKind.STORY] + lone} == {
        kind: len(old["tracks"][kind.value]) for kind in SurgeKind
    }
    assert lone  # stories still in their first window, seen from one outlet: no track


def test_a_version_2_state_goes_on_counting_and_is_saved_as_the_current_version() -> None:
    """Restored past its warm-up, the detector fires a burst at once, and what it saves
    next is of the current version, with the profile's open hour."""
    detector = SurgeDetector(SurgeSettings(), STATE_V2.read_bytes())
    after = MONDAY + timedelta(hours=30)
    quiet = [surge for item in Newsroom(8).hours(after, 2) for surge in detector.observe(item)]
    assert quiet == []
    burst = one_story(after + timedelta(hours=2), 20, OUTLETS, names=(("tabriz", "Tabriz"),))
    fired = {surge.kind for sighting in burst for surge in detector.observe(sighting)}
    assert fired == {SurgeKind.STORY}
    saved = _document(detector.snapshot())
    assert saved["version"] == VERSION == 4
    assert saved["profile"]["open"][0] == int((after + timedelta(hours=2)).timestamp() // 3600)


def _burst() -> list[Sighting]:
    """A story from a new outlet a minute from a minute before ``SAVED_AT``."""
    return one_story(SAVED_AT - timedelta(minutes=1), 15, OUTLETS, names=(("tabriz", "Tabriz"),))


def test_a_version_3_state_fires_as_the_version_3_detector_did() -> None:
    """The burst's story, seen from one outlet when the state was saved, is held by that
    outlet; counting on, it fires at its sixth outlet (the first one counted), four
    minutes after the save, as the version-3 detector restored from the same state did,
    and as this detector does having counted it all without a restart."""
    memory = load_memory(STATE_V3.read_bytes())
    assert memory.lives["quake"].outlet == OUTLETS[0]
    assert "quake" not in memory.tracks[SurgeKind.STORY]
    after = in_order(Newsroom(8).hours(SAVED_AT, 2), _burst()[1:])
    restored = SurgeDetector(SurgeSettings(), STATE_V3.read_bytes())
    fired = [surge for sighting in after for surge in restored.observe(sighting)]
    found = [(surge.kind, surge.key, surge.count, surge.outlets, surge.fired_at) for surge in fired]
    assert found == [(SurgeKind.STORY, "quake", 6, 6, SAVED_AT + timedelta(minutes=4))]
    whole = SurgeDetector(SurgeSettings())
    before = in_order(Newsroom(7).hours(MONDAY, 30), _burst()[:1])
    assert [surge for sighting in before for surge in whole.observe(sighting)] == []
    assert [surge for sighting in after for surge in whole.observe(sighting)] == fired


def test_a_version_2_state_counts_an_article_at_its_clock_in_the_clocks_hour() -> None:
    """A version-2 state has no hour open; an article while the clock stands still is
    one addition to the open hour, so the clock's hour is opened as the state is read."""
    detector = SurgeDetector(SurgeSettings(), STATE_V2.read_bytes())
    clock = detector._memory.clock
    assert clock is not None
    detector.count(clock, "s-still", "http://still.test/feed", "Still", rules=(), names=(),
                   into=[])  # fmt: skip
    profile = detector._memory.profile
    assert (profile.open_hour, profile.open_articles) == (int(clock // 3600), 1.0)
