"""The surge detector on generated streams: what fires and what does not, and what
rises before it fires."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from monitor.config import SurgeSettings
from monitor.surges import (
    Sighting,
    SurgeDetector,
    SurgeKind,
    backtest,
    sighted_at,
)
from tests.support.surge_detector import DEFAULTS, KUNMING, NAMES_ALONE, OUTLETS
from tests.support.surge_detector import background as _background
from tests.support.surge_detector import fired_keys as _fired
from tests.support.surge_streams import MONDAY, busy_days, in_order, one_story


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_steady_newsroom_fires_nothing(seed: int) -> None:
    assert backtest(_background(seed, days=10), DEFAULTS) == []


@pytest.mark.parametrize("seed", [1, 2])
def test_the_rhythm_of_the_week_fires_nothing(seed: int) -> None:
    assert backtest(_background(seed, days=21, rate=busy_days), DEFAULTS) == []


def _two_stories(
    at: datetime, names: tuple[tuple[str, str], ...], rules: tuple[str, ...] = ()
) -> list[Sighting]:
    """A burst of one name and rule over two stories, 15 outlets each in 30 minutes."""
    first = one_story(at, 30, OUTLETS[:15], story_id="quake", names=names, rules=rules)
    second = one_story(at, 30, OUTLETS[5:], story_id="quake-aftershock", names=names, rules=rules)
    return [*first, *second]


def test_a_burst_over_stories_fires_its_story_its_new_name_and_its_rule() -> None:
    burst_at = MONDAY + timedelta(days=3, hours=10)
    burst = _two_stories(burst_at, names=KUNMING, rules=("energy",))
    surges = backtest(in_order(_background(), burst), DEFAULTS)
    fired = _fired(surges) - {("story", "quake-aftershock")}
    assert fired == {("story", "quake"), ("name", "kunming"), ("rule", "energy")}
    for surge in surges:
        earliest = burst_at - timedelta(minutes=DEFAULTS.window_minutes)
        assert earliest <= surge.window_start <= surge.fired_at <= burst_at + timedelta(minutes=30)
        assert surge.count >= DEFAULTS.min_count and surge.outlets >= DEFAULTS.min_outlets
        assert surge.count > 3 * surge.expected
        assert surge.top_stories[0][1].startswith("Breaking: quake")


@pytest.mark.parametrize(("stories_on", "fired"), [
    (True, {("story", "quake")}),
    (False, {("name", "kunming"), ("rule", "energy")}),
])  # fmt: skip
def test_one_storys_burst_is_one_flag_its_names_fold_into_it(
    stories_on: bool, fired: set[tuple[str, str]]
) -> None:
    """A name or rule whose reports are mostly one story's is that story's surge (judged
    on its outlets' arrival); with story surges off, the name and rule fire themselves."""
    burst = one_story(MONDAY + timedelta(days=3), 30, OUTLETS[:15], names=KUNMING,
                      rules=("energy",))  # fmt: skip
    surges = backtest(in_order(_background(), burst), SurgeSettings(stories=stories_on))
    assert _fired(surges) == fired


def test_a_burst_is_judged_against_its_hour_as_learned_before_it() -> None:
    """A name's burst in an hour crowded with 300 other articles expects what it would in
    that hour without them: an hour reaches the hour-of-week profile when it is over, so
    a surge's own articles never raise what it is tested against."""
    at = MONDAY + timedelta(days=3, hours=10)
    burst = _two_stories(at + timedelta(minutes=15), names=KUNMING)
    crowd = [
        Sighting(at + timedelta(seconds=10 * index), f"crowd-{index}", OUTLETS[index % 20],
                 f"Crowd {index}")
        for index in range(300)
    ]  # fmt: skip
    alone = backtest(in_order(_background(), burst), DEFAULTS)
    crowded = backtest(in_order(_background(), crowd, burst), DEFAULTS)
    [name_alone] = [surge for surge in alone if surge.kind is SurgeKind.NAME]
    [name_crowded] = [surge for surge in crowded if surge.kind is SurgeKind.NAME]
    assert name_crowded.fired_at == name_alone.fired_at < at + timedelta(minutes=50)
    assert name_crowded.expected == pytest.approx(name_alone.expected, rel=1e-6)


def test_a_story_is_judged_on_its_first_outlets_arrival_not_later_growth() -> None:
    """A story opened by one outlet that gains 15 more a day later is judged in its first
    window only (its late growth is its names' and rules' to show)."""
    at = MONDAY + timedelta(days=3)
    opened = one_story(at, 1, OUTLETS[:1])
    late = one_story(at + timedelta(days=1, hours=-6), 30, OUTLETS[1:16])
    assert backtest(in_order(_background(), opened, late), DEFAULTS) == []
    assert _fired(backtest(in_order(_background(), late), DEFAULTS)) == {("story", "quake")}


def test_a_name_in_a_burst_is_labelled_as_it_was_written() -> None:
    burst = _two_stories(MONDAY + timedelta(days=2), names=(("kunming", "Kúnmíng"),))
    [name] = [surge for surge in backtest(in_order(_background(), burst), DEFAULTS)
              if surge.kind is SurgeKind.NAME]  # fmt: skip
    assert name.label == "Kúnmíng"


def _gazprom(hour: int, ramp_hours: int) -> int:
    """Mentions in ``hour``: one an hour for three days, then up to 12 over ``ramp_hours``."""
    return 1 + 11 * min(max(hour - 72, 0), ramp_hours) // ramp_hours


@pytest.mark.parametrize(("ramp_hours", "fires"), [(11 * 24, False), (1, True)])
def test_a_slow_rise_does_not_fire_a_sudden_one_does(ramp_hours: int, fires: bool) -> None:
    rising = [
        Sighting(
            MONDAY + timedelta(hours=hour, minutes=60 * index / mentions),
            f"rise-{hour}-{index}",
            OUTLETS[(hour + index) % 20],
            "rising",
            names=(("gazprom", "Gazprom"),),
        )
        for hour in range(14 * 24)
        for mentions in [_gazprom(hour, ramp_hours)]
        for index in range(mentions)
    ]
    surges = backtest(in_order(_background(days=14), rising), DEFAULTS)
    assert (("name", "gazprom") in _fired(surges)) is fires


@pytest.mark.parametrize("independent", [0, 4])
def test_syndicated_copies_of_one_wire_story_count_once(independent: int) -> None:
    """40 feeds carry AFP's text: one report, plus one per outlet with its own. Set to
    fire at one more than that, with ``min_outlets = 1``, nothing fires (the copies alone
    would be enough if each one counted)."""
    at = MONDAY + timedelta(days=3)
    copies = [
        Sighting(
            at + timedelta(minutes=minute),
            "wire-story",
            "wire:AFP",
            "AFP: talks collapse",
            ("energy",),
            KUNMING,
        )
        for minute in range(40)
    ]
    own = one_story(at, 30, OUTLETS[:independent], story_id="wire-story", names=KUNMING)
    detector = SurgeDetector(SurgeSettings(min_outlets=1, min_count=independent + 2))
    end = at + timedelta(minutes=40)
    for sighting in in_order(_background(), copies, own):
        if sighting.at > end:
            break
        assert detector.observe(sighting) == []
    if independent:
        counted = {(item.kind.value, item.key): item.count for item in detector.rising(end)}
        assert counted[("name", "kunming")] == counted[("story", "wire-story")] == 5


def test_nothing_fires_during_the_warm_up() -> None:
    early = one_story(MONDAY + timedelta(hours=5), 30, OUTLETS[:15], names=KUNMING)
    assert backtest(in_order(_background(days=2), early), DEFAULTS) == []
    later = one_story(MONDAY + timedelta(hours=30), 30, OUTLETS[:15], names=KUNMING)
    assert backtest(in_order(_background(days=2), later), DEFAULTS) != []


@pytest.mark.parametrize(("gap_hours", "firings"), [(3, 1), (8, 2)])
def test_a_key_fires_again_only_after_its_cooldown(gap_hours: int, firings: int) -> None:
    first_at = MONDAY + timedelta(days=3)
    first = one_story(first_at, 30, OUTLETS[:15], story_id="one", names=KUNMING)
    second = one_story(first_at + timedelta(hours=gap_hours), 30, OUTLETS[:15],
                       story_id="two", names=KUNMING)  # fmt: skip
    surges = backtest(in_order(_background(), first, second), NAMES_ALONE)
    assert sum(surge.key == "kunming" for surge in surges) == firings


@pytest.mark.parametrize(("kind", "setting"), [("story", "stories"), ("name", "names"),
                                               ("rule", "rules")])  # fmt: skip
def test_a_kind_turned_off_never_fires(kind: str, setting: str) -> None:
    burst = _two_stories(MONDAY + timedelta(days=3), names=KUNMING, rules=("energy",))
    settings = SurgeSettings.model_validate({setting: False})
    fired = {surge.kind.value for surge in backtest(in_order(_background(), burst), settings)}
    assert fired == {"story", "name", "rule"} - {kind}


def test_rising_lists_what_climbs_before_it_fires() -> None:
    started = MONDAY + timedelta(days=3)
    climbing = one_story(started, 20, OUTLETS[:5], names=KUNMING)  # below min_count
    detector = SurgeDetector(DEFAULTS)
    for sighting in in_order(_background(), climbing):
        if sighting.at > started + timedelta(minutes=20):
            break
        assert detector.observe(sighting) == []
    rising = detector.rising(started + timedelta(minutes=20))
    assert ("name", "kunming") in {(item.kind.value, item.key) for item in rising}
    top = next(item for item in rising if item.key == "kunming")
    assert top.count == 5 and top.label == "Kunming" and top.expected < 1


@pytest.mark.parametrize(("stories", "fires"), [(1, False), (2, True)])
def test_min_stories_keeps_one_storys_outlets_to_the_story(stories: int, fires: bool) -> None:
    at = MONDAY + timedelta(days=3)
    bursts = [
        one_story(at, 30, OUTLETS[:15], story_id=f"quake-{index}", names=KUNMING)
        for index in range(stories)
    ]
    surges = backtest(in_order(_background(), *bursts), SurgeSettings(min_stories=2))
    assert (("name", "kunming") in _fired(surges)) is fires
    assert ("story", "quake-0") in _fired(surges)


@pytest.mark.parametrize("seed", range(1, 11))
def test_a_rule_added_mid_stream_is_judged_on_its_own_time(seed: int) -> None:
    """A week in, a rule is added (by reload) matching half the steady stream: new, it
    may fire once at once (the prior knows nothing of it), then it is judged on its own
    hours since it was added, which outweigh the prior's within a few, so its steady rate
    is no surge, after the cooldown either (judged on all the detector's week, it fired
    once per cooldown, every six hours)."""
    added = MONDAY + timedelta(days=7)
    stream = [
        replace(item, rules=(*item.rules, "late")) if item.at >= added and index % 2 else item
        for index, item in enumerate(_background(seed, days=10))
    ]
    surges = backtest(stream, DEFAULTS)
    assert [surge.key for surge in surges] in ([], ["late"])
    assert all(surge.fired_at < added + timedelta(hours=2) for surge in surges)


def test_a_backlog_after_downtime_feeds_the_baseline_not_the_window() -> None:
    """Down for six hours on day 8: when it is back, each feed delivers its missed items
    in turn, each dated when it was published. Only the last window's are news."""
    down, back = MONDAY + timedelta(days=8), MONDAY + timedelta(days=8, hours=6)
    stream = _background(days=9)
    before = [item for item in stream if item.at < down]
    missed = sorted((item for item in stream if down <= item.at < back),
                    key=lambda item: (item.outlet, item.at))  # fmt: skip
    after = [item for item in stream if item.at >= back]
    assert backtest([*before, *missed, *after], DEFAULTS) == []


@pytest.mark.parametrize(
    ("published_minutes", "counted_minutes"),
    [(None, 0), (-30, -30), (90, 0), (-10 * 24 * 60, -2 * 24 * 60)],
)
def test_an_article_counts_when_published_within_sane_bounds(
    published_minutes: int | None, counted_minutes: int
) -> None:
    fetched = MONDAY + timedelta(days=3)
    published = None
    if published_minutes is not None:
        published = fetched + timedelta(minutes=published_minutes)
    assert sighted_at(published, fetched) == fetched + timedelta(minutes=counted_minutes)


def _rising_after(climbing_at: datetime, settings: SurgeSettings) -> set[tuple[str, str]]:
    """What ``rising`` lists 20 minutes into a story climbing to five outlets."""
    climbing = one_story(climbing_at, 20, OUTLETS[:5], names=KUNMING)
    detector, end = SurgeDetector(settings), climbing_at + timedelta(minutes=20)
    for sighting in in_order(_background(), climbing):
        if sighting.at > end:
            break
        detector.observe(sighting)
    return {(item.kind.value, item.key) for item in detector.rising(end)}


@pytest.mark.parametrize(
    ("hours_in", "settings", "listed"),
    [
        (72, DEFAULTS, True),
        (72, SurgeSettings(names=False), False),
        (72, SurgeSettings(min_outlets=6), False),
        (5, DEFAULTS, False),  # still warming up
    ],
)
def test_rising_lists_only_what_could_fire(
    hours_in: int, settings: SurgeSettings, listed: bool
) -> None:
    rising = _rising_after(MONDAY + timedelta(hours=hours_in), settings)
    assert (("name", "kunming") in rising) is listed
