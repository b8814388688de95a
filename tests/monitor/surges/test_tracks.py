"""A key's lone first report (``FirstReport``) against the full window (``Track``): the
same steps leave both holding the same baseline, window and reports."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

from monitor.config import SurgeSettings
from monitor.surges import Sighting, SurgeDetector, SurgeKind
from monitor.surges.state import load_memory
from monitor.surges.tracks import FirstReport, Track, Tracked
from tests.support.surge_streams import MONDAY, Newsroom, in_order, one_story

WINDOW, FORGET = 3600.0, math.log(2) / 86400.0
OUTLETS = [f"http://breaking{index}.test/feed" for index in range(15)]
NAMES_ALONE = SurgeSettings(stories=False)

# Steps: ("add", when, story, outlet) counts a report; ("expire", when) runs the window's
# lazy expiry to ``when``; ("remember", moment, now) counts one into the baseline.
STEPS = {
    "one report, never again": [("add", 0.0, "s1", "o1")],
    "its report left the window": [("add", 0.0, "s1", "o1"), ("expire", 5000.0)],
    "expired, then seen again": [("add", 0.0, "s1", "o1"), ("expire", 5000.0),
                                 ("add", 6000.0, "s2", "o2")],
    "seen again, lazily unexpired": [("add", 0.0, "s1", "o1"), ("add", 9000.0, "s2", "o2")],
    "its own pair within the window": [("add", 0.0, "s1", "o1"), ("add", 600.0, "s1", "o1")],
    "its own pair after the window": [("add", 0.0, "s1", "o1"), ("add", 4000.0, "s1", "o1")],
    "history first": [("remember", -9000.0, 0.0), ("add", 100.0, "s1", "o1"),
                      ("expire", 4000.0), ("add", 4100.0, "s1", "o2")],
}  # fmt: skip


def _step(track: Tracked, step: tuple[object, ...]) -> tuple[Tracked, bool | None]:
    """One step; a lone report's second ``add`` promotes it, as the detector does."""
    match step:
        case ("add", float(when), str(story), str(outlet)):
            if isinstance(track, FirstReport) and track.report is None:
                track.report = (when, story, outlet)
                return track, True
            full = track.promoted() if isinstance(track, FirstReport) else track
            return full, full.add(when, story, outlet, when - WINDOW, FORGET)
        case ("expire", float(when)):
            track.expire(when - WINDOW, FORGET)
        case ("remember", float(moment), float(now)):
            track.remember(moment, now, FORGET)
    return track, None


def _held(track: Tracked) -> tuple[object, ...]:
    fields = (track.label, track.baseline, track.baseline_at, track.cooled_until)
    return (*fields, track.exposure_then, track.born, track.count, list(track.reports))


@pytest.mark.parametrize("steps", STEPS.values(), ids=STEPS.keys())
def test_a_lone_report_holds_what_a_full_window_would_to_the_bit(
    steps: list[tuple[object, ...]],
) -> None:
    full: Tracked = Track("Hama", exposure_then=2.5, born=-50.0)
    lone: Tracked = FirstReport("Hama", exposure_then=2.5, born=-50.0)
    for step in steps:
        (full, counted), (lone, lone_counted) = _step(full, step), _step(lone, step)
        assert counted == lone_counted
        assert _held(lone) == _held(full)


def _names_row(detector: SurgeDetector, key: str) -> list[Any]:
    rows = detector.snapshot_document()["tracks"][SurgeKind.NAME.value]
    [row] = [row for row in rows if row[0] == key]
    return list(row)


def test_a_names_second_report_promotes_it_keeping_when_it_was_first_seen() -> None:
    detector, first_at = SurgeDetector(NAMES_ALONE), MONDAY + timedelta(hours=5)
    detector.observe(Sighting(MONDAY, "s0", OUTLETS[0], "t", names=(("hama", "Hama"),)))
    detector.observe(Sighting(first_at, "s1", OUTLETS[1], "t", names=(("homs", "Homs"),)))
    once = _names_row(detector, "homs")
    assert isinstance(load_memory(detector.snapshot()).tracks[SurgeKind.NAME]["homs"], FirstReport)
    detector.observe(Sighting(first_at + timedelta(minutes=9), "s2", OUTLETS[2], "t",
                              names=(("homs", "Homs"),)))  # fmt: skip
    twice = _names_row(detector, "homs")
    assert twice[6:] == once[6:] == [once[6], first_at.timestamp()]  # exposure, born kept
    assert len(twice[5]) == 2 and twice[5][0] == once[5][0]  # its first report kept
    assert isinstance(load_memory(detector.snapshot()).tracks[SurgeKind.NAME]["homs"], Track)


def test_a_name_seen_once_then_bursting_fires_alike_across_a_save_of_its_lone_report() -> None:
    """A name seen once in a quiet week, then in a burst days later: its lone report is
    saved and restored, and the burst fires the same surge as without the restart."""
    seen_at, burst_at = MONDAY + timedelta(days=1), MONDAY + timedelta(days=5)
    lone = [Sighting(seen_at, "once", OUTLETS[0], "t", names=(("kunming", "Kunming"),))]
    burst = [
        *one_story(burst_at, 30, OUTLETS, story_id="a", names=(("kunming", "Kunming"),)),
        *one_story(burst_at, 30, OUTLETS, story_id="b", names=(("kunming", "Kunming"),)),
    ]
    stream = in_order(list(Newsroom(1).hours(MONDAY, 6 * 24)), lone, burst)
    straight = SurgeDetector(NAMES_ALONE)
    expected = [surge for item in stream for surge in straight.observe(item)]
    restarted, fired = SurgeDetector(NAMES_ALONE), []
    for item in stream:
        fired += restarted.observe(item)
        if item is lone[0]:
            held = load_memory(restarted.snapshot()).tracks[SurgeKind.NAME]["kunming"]
            assert isinstance(held, FirstReport) and held.count == 1
            restarted = SurgeDetector(NAMES_ALONE, restarted.snapshot())
    assert [surge.key for surge in expected if surge.key == "kunming"] == ["kunming"]
    assert fired == expected
    assert restarted.snapshot() == straight.snapshot()


def test_outlets_are_counted_from_the_reports_in_the_window() -> None:
    """A key's outlets, and its top outlets by reports, are those of the reports still in
    its window: one leaving takes its outlet with it once no other report holds it."""
    track = Track("kunming")
    for moment, story, outlet in [(0.0, "s1", "a"), (10.0, "s2", "a"), (20.0, "s3", "b"),
                                  (30.0, "s3", "b"), (40.0, "s4", "c")]:  # fmt: skip
        track.add(moment, story, outlet)
    assert (track.count, track.outlets(), track.top_outlets()) == (4, 3, ("a", "b", "c"))
    track.expire(15.0, FORGET)  # the reports before 15 s leave
    assert (track.count, track.outlets(), track.top_outlets()) == (2, 2, ("b", "c"))
    track.expire(25.0, FORGET)
    assert (track.count, track.outlets(), track.top_outlets()) == (1, 1, ("c",))
