"""The detector's state taken as a document on the event loop and encoded elsewhere:
the bytes are the snapshot of the moment it was taken, whatever is counted meanwhile."""

from __future__ import annotations

from datetime import timedelta

from monitor.config import SurgeSettings
from monitor.surges import Sighting, SurgeDetector, encode_state
from tests.support.surge_streams import MONDAY


def _sighting(hour: int, outlet: int) -> Sighting:
    return Sighting(
        MONDAY + timedelta(hours=hour, minutes=outlet), f"story-{hour}",
        f"http://o{outlet}.test/feed", "Землетрясение в Тебризе", rules=("quakes",),
        names=(("تبریز", "تبریز"),),
    )  # fmt: skip


def test_a_document_encodes_to_the_snapshot_of_when_it_was_taken() -> None:
    detector = SurgeDetector(SurgeSettings())
    for hour in range(30):
        detector.observe(_sighting(hour, hour % 7))
    then = detector.snapshot()
    document = detector.snapshot_document()
    for hour in range(30, 200):  # counting goes on (the profile's hours roll over too)
        detector.observe(_sighting(hour, hour % 7))
    assert encode_state(document) == then != detector.snapshot()
