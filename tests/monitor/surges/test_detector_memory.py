"""The surge detector's memory on generated streams: stories' tracks and sweeps, bounded
state, snapshots and restarts, lazy expiry and the skipped counts (nothing fired changes)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.config import SurgeSettings
from monitor.surges import (
    Sighting,
    SurgeDetector,
    SurgeKind,
    SurgeStateError,
    backtest,
)
from monitor.surges import detector as detector_module
from monitor.surges.baselines import key_score, story_learned
from monitor.surges.state import load_memory
from monitor.surges.tracks import Track
from tests.support.surge_detector import DEFAULTS, KUNMING, NAMES_ALONE, OUTLETS
from tests.support.surge_detector import background as _background
from tests.support.surge_detector import fired_keys as _fired
from tests.support.surge_streams import MONDAY, busy_days, in_order, one_story


def test_a_story_seen_from_one_outlet_holds_no_track_until_a_second() -> None:
    """Most stories never get a second outlet: such a story's life keeps its outlet (no
    track); a copy from that outlet adds nothing; a second outlet gives it a track with
    both reports, which it holds as one counted all along would."""
    at = MONDAY + timedelta(days=3)
    detector = SurgeDetector(DEFAULTS)
    first, again, second = one_story(at, 3, [OUTLETS[0], OUTLETS[0], OUTLETS[1]])
    detector.observe(first)
    detector.observe(again)
    memory = load_memory(detector.snapshot())
    assert memory.lives["quake"].outlet == OUTLETS[0]
    assert memory.lives["quake"].first_outlets == 1
    assert "quake" not in memory.tracks[SurgeKind.STORY]
    assert detector.tracked()[SurgeKind.STORY] == 1
    detector.observe(second)
    memory = load_memory(detector.snapshot())
    assert memory.lives["quake"].outlet is None
    assert memory.lives["quake"].first_outlets == 2
    track = memory.tracks[SurgeKind.STORY]["quake"]
    assert [report[2] for report in track.reports] == OUTLETS[:2]
    assert detector.tracked()[SurgeKind.STORY] == 1


def test_a_storys_track_goes_when_its_first_window_is_over() -> None:
    """Only a story's first window can fire, so its window is held that long; its later
    reports neither track it again nor open it anew (its life, and title, stay)."""
    at = MONDAY + timedelta(days=3)
    detector = SurgeDetector(DEFAULTS)
    for sighting in one_story(at, 30, OUTLETS[:3]):
        detector.observe(sighting)
    assert detector.tracked()[SurgeKind.STORY] == 1
    for sighting in one_story(at + timedelta(hours=2), 30, OUTLETS[3:8]):
        assert detector.observe(sighting) == []
    assert detector.tracked()[SurgeKind.STORY] == 0
    assert load_memory(detector.snapshot()).lives["quake"].first_outlets == 3


def test_a_restored_detector_goes_on_as_if_never_stopped() -> None:
    burst = one_story(MONDAY + timedelta(days=4), 30, OUTLETS[:15], names=KUNMING,
                      rules=("energy",))  # fmt: skip
    stream = in_order(_background(seed=5), burst)
    whole = backtest(stream, DEFAULTS)
    first = SurgeDetector(DEFAULTS)
    cut = len(stream) // 2
    before = [surge for sighting in stream[:cut] for surge in first.observe(sighting)]
    second = SurgeDetector(DEFAULTS, first.snapshot())
    assert second.snapshot() == first.snapshot()
    after = [surge for sighting in stream[cut:] for surge in second.observe(sighting)]
    assert whole and before + after == whole


def test_the_state_is_bounded_by_the_name_cap_and_the_story_window() -> None:
    settings = SurgeSettings(max_names=500, story_hours=6)
    detector = SurgeDetector(settings)
    for index, sighting in enumerate(_background(days=3)):
        unique = ((f"once-{index}", f"Once {index}"),)
        detector.observe(replace(sighting, names=unique))
        assert detector.tracked()[SurgeKind.NAME] <= 500
    stories = detector.tracked()[SurgeKind.STORY]
    assert 0 < stories <= 6 * 60  # six hours of stories at most (30 articles an hour)
    assert len(detector.snapshot()) < 200_000


def test_a_snapshot_of_another_kind_is_refused() -> None:
    with pytest.raises(SurgeStateError):
        SurgeDetector(DEFAULTS, b"not a state")


@pytest.mark.parametrize(("gap_hours", "firings_after_restart"), [(3, 0), (8, 1)])
def test_a_cooldown_holds_across_a_restart(gap_hours: int, firings_after_restart: int) -> None:
    """A name fires, the daemon saves its state and restarts: the restored detector keeps
    the cooldown, so the same name fires again only once it is over."""
    first_at = MONDAY + timedelta(days=3)
    first = one_story(first_at, 30, OUTLETS[:15], story_id="one", names=KUNMING)
    second = one_story(first_at + timedelta(hours=gap_hours), 30, OUTLETS[:15],
                       story_id="two", names=KUNMING)  # fmt: skip
    restart_at = first_at + timedelta(hours=1)
    stream = in_order(_background(), first, second)
    detector = SurgeDetector(NAMES_ALONE)
    before = [fired for item in stream if item.at < restart_at for fired in detector.observe(item)]
    restored = SurgeDetector(NAMES_ALONE, detector.snapshot())
    after = [fired for item in stream if item.at >= restart_at for fired in restored.observe(item)]
    assert sum(surge.key == "kunming" for surge in before) == 1
    assert sum(surge.key == "kunming" for surge in after) == firings_after_restart


def test_a_pair_counts_again_once_it_left_the_window_though_expired_lazily() -> None:
    """Windows are expired only when needed: a (story, outlet) pair seen again within
    the window is one report, seen again after it is a new one."""
    track = Track("quake")
    assert track.add(0.0, "quake", "o1", -3600.0, 0.0)
    assert not track.add(600.0, "quake", "o1", 600.0 - 3600, 0.0)
    assert track.add(4000.0, "quake", "o1", 4000.0 - 3600, 0.0)
    assert track.count == 1 and track.baseline == 1.0


def test_a_kind_turned_off_keeps_only_its_window() -> None:
    """Its keys are never judged, yet their windows expire: memory stays bounded."""
    detector = SurgeDetector(SurgeSettings(names=False))
    for index in range(600):  # a report every ten minutes for 100 hours
        at = MONDAY + timedelta(minutes=10 * index)
        detector.observe(Sighting(at, f"s{index}", OUTLETS[index % 20], "t", names=KUNMING))
    reports = load_memory(detector.snapshot()).tracks[SurgeKind.NAME]["kunming"].reports
    assert len(reports) <= 7  # an hour of reports, and the one that made it look back


def test_stories_whose_first_window_ends_together_are_learned_one_after_another() -> None:
    """Stories swept at one time are learned as if one at a time, to the same bits: the
    population of stories' first windows is what a story's surge is judged against."""
    at, detector = MONDAY + timedelta(days=1), SurgeDetector(DEFAULTS)
    sizes = (1, 3, 2, 1)
    opened = [one_story(at, 0.5, OUTLETS[:n], story_id=f"s{i}") for i, n in enumerate(sizes)]
    early = one_story(at - timedelta(hours=3), 0.5, OUTLETS[:2], story_id="early")
    for sighting in in_order(early, *opened):  # "early" learned: the sums are decayed
        detector.observe(sighting)
    before = load_memory(detector.snapshot())
    detector.observe(one_story(at + timedelta(hours=2), 1, OUTLETS[:1], story_id="later")[0])
    seen, now = before.stories_seen, (at + timedelta(hours=2)).timestamp()
    forget, seen_at = math.log(2) / (DEFAULTS.half_life_hours * 3600), before.stories_seen_at
    for outlets in sizes:
        seen, seen_at = story_learned(seen, seen_at, outlets, now, forget), now
    assert load_memory(detector.snapshot()).stories_seen == seen


@pytest.mark.parametrize("sensitivity", [1e-6, 1e-2])
def test_the_counts_a_keys_test_cannot_fire_at_are_skipped_without_a_change(
    sensitivity: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule's or name's test that did not fire bounds the counts it cannot fire at till
    the hour ends (``key_fires_from``): fewer tests, and the same surges in the same
    order as testing every count, over a week of a busy newsroom (its quiet nights and
    weekend) with bursts of a name and a rule across stories."""
    settings = SurgeSettings(sensitivity=sensitivity, min_stories=3)
    at = MONDAY + timedelta(days=3, hours=10)
    bursts = [
        sighting
        for index in range(12)
        for sighting in one_story(
            at + timedelta(minutes=5 * index),
            4,
            OUTLETS[index : index + 3],
            story_id=f"wave-{index}",
            names=(("tabriz", "Tabriz"),),
            rules=("energy",),
        )
    ]
    stream = in_order(_background(4, 7, busy_days), bursts)
    tests = [0, 0]

    def counted(which: int) -> object:
        def score(*args: object, **kwargs: object) -> object:
            tests[which] += 1
            return key_score(*args, **kwargs)  # type: ignore[arg-type]

        return score

    monkeypatch.setattr(detector_module, "key_score", counted(0))
    bounded = backtest(stream, settings)
    monkeypatch.setattr(detector_module, "key_score", counted(1))
    monkeypatch.setattr(detector_module, "key_fires_from", lambda *_, **__: 0)
    assert backtest(stream, settings) == bounded
    assert _fired(bounded) >= {("name", "tabriz")}
    assert tests[0] < tests[1] / 2
