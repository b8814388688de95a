"""Saved detector states of earlier versions: read, and learning goes on from them.

``tests/data/surges/state-v2.bin`` was written by the version-2 detector (the profile
learned each article at once) after 30 hours of ``Newsroom(7)`` from ``MONDAY``."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor.config import SurgeSettings
from monitor.surges import SurgeDetector, SurgeKind
from monitor.surges.state import VERSION, load_memory
from tests.support.surge_streams import MONDAY, Newsroom, one_story

STATE_V2 = Path(__file__).parents[2] / "data" / "surges" / "state-v2.bin"
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
    assert {kind: len(memory.tracks[kind]) for kind in SurgeKind} == {
        kind: len(old["tracks"][kind.value]) for kind in SurgeKind
    }


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
    assert saved["version"] == VERSION == 3
    assert saved["profile"]["open"][0] == int((after + timedelta(hours=2)).timestamp() // 3600)
