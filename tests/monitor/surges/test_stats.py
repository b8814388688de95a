"""The surge statistics against direct computation: the negative binomial tail and how
busy an hour of the week is."""

from __future__ import annotations

import math

import pytest

from monitor.surges.profile import HourOfWeek
from monitor.surges.stats import least_reaching, negbin_score


def _tail_sum(count: int, shape: float, rate: float, exposure: float) -> float:
    """-log10 P(X >= count), summing the probabilities from ``count`` up in log space
    until they are negligible."""
    q = exposure / (rate + exposure)
    logs: list[float] = []
    top = -math.inf
    for k in range(count, count + 1_000_000):
        logs.append(
            math.lgamma(k + shape) - math.lgamma(shape) - math.lgamma(k + 1)
            + shape * math.log1p(-q) + k * math.log(q)
        )  # fmt: skip
        top = max(top, logs[-1])
        if k > count + 50 and logs[-1] < top - 60:
            break
    return -(top + math.log(sum(math.exp(value - top) for value in logs))) / math.log(10)


# (count, shape, rate, exposure): means from 0.05 to 1,000, shapes from 0.5 to 1e6.
ABOVE_THE_MEAN = [
    (5, 0.5, 10, 1), (10, 1.5, 1, 1), (30, 2, 0.1, 1), (200, 0.5, 0.01, 1),
    (3, 1e6, 1e6 / 1.5, 1.0), (10, 1e6, 1e6 / 1.5, 1.0), (10, 5, 0.005, 1), (2000, 0.5, 0.01, 1),
    (50, 100, 0.1, 1), (1100, 1000, 1, 1), (1000, 1e6, 1e6 / 900, 1), (60, 8, 0.2, 0.5),
]  # fmt: skip


@pytest.mark.parametrize(("count", "shape", "rate", "exposure"), ABOVE_THE_MEAN)
def test_the_score_is_the_tail_summed_directly(
    count: int, shape: float, rate: float, exposure: float
) -> None:
    expected = _tail_sum(count, shape, rate, exposure)
    assert negbin_score(count, shape, rate, exposure) == pytest.approx(expected, rel=1e-3, abs=1e-3)


# At or below the mean (far below the mode too): a chance of a third or more, no surge.
NOT_ABOVE_THE_MEAN = [
    (10, 1000, 1, 1), (300, 0.5, 1e-4, 1), (2, 1e6, 1e6 / 500, 1), (0, 2, 1, 1), (4, 4, 1, 1),
    (10, 2, 0.1, 1), (10, 0.6, 1e-4, 1),
]  # fmt: skip


@pytest.mark.parametrize(("count", "shape", "rate", "exposure"), NOT_ABOVE_THE_MEAN)
def test_a_count_not_above_the_mean_scores_nothing(
    count: int, shape: float, rate: float, exposure: float
) -> None:
    assert negbin_score(count, shape, rate, exposure) == 0.0
    assert _tail_sum(max(count, 1), shape, rate, exposure) < 0.5


MONDAY_HOUR = 4 * 24  # 1970-01-05 00:00 UTC, in hours since the epoch


def _profile(per_hour: dict[int, int], weeks: int) -> HourOfWeek:
    """A profile fed ``per_hour[slot]`` articles in each slot of ``weeks`` weeks."""
    profile = HourOfWeek()
    for hour in range(weeks * 168):
        profile.add_time(MONDAY_HOUR + hour, 1.0)
        for _ in range(per_hour.get(hour % 168, 0)):
            profile.add_article(MONDAY_HOUR + hour)
    profile.add_time(MONDAY_HOUR + weeks * 168, 0.0)  # the last hour is over: learned
    return profile


def test_an_unknown_week_is_flat() -> None:
    assert [HourOfWeek().factor(slot) for slot in (0, 100, 167)] == [1.0, 1.0, 1.0]


def test_a_busy_hour_learns_its_weight_and_the_week_averages_one() -> None:
    busy = {slot: 30 if slot % 24 == 12 else 10 for slot in range(168)}
    profile = _profile(busy, weeks=12)
    average = sum(busy.values()) / 168
    assert profile.factor(12) == pytest.approx(30 / average, rel=0.05)
    assert profile.factor(36) == pytest.approx(30 / average, rel=0.05)
    assert profile.factor(13) == pytest.approx(10 / average, rel=0.05)
    assert sum(profile.factor(slot) for slot in range(168)) / 168 == pytest.approx(1.0, rel=0.02)


def test_an_hour_seen_once_leans_on_its_hour_of_the_day_and_day_of_the_week() -> None:
    # One day (Monday) of news: busy at noon. Tuesday noon was never seen, but its hour of
    # the day was: it is expected busier than Tuesday's other hours.
    profile = _profile({12: 30, **{slot: 10 for slot in range(24) if slot != 12}}, weeks=1)
    assert profile.factor(24 + 12) > 1.5 * profile.factor(24 + 13)


def _learned(profile: HourOfWeek, hour: int, articles: int) -> HourOfWeek:
    """``profile`` after one more hour with ``articles`` in it, the hour over."""
    profile.add_time(hour, 1.0)
    for _ in range(articles):
        profile.add_article(hour)
    profile.add_time(hour + 1, 0.0)
    return profile


def test_a_burst_enters_its_slot_at_most_three_times_what_it_expected_plus_three() -> None:
    """Two flat weeks of 10 articles an hour, then 500 in Monday 10:00: the slot learns
    them as 33 (3 x 10 + 3), so next Monday 10:00 expects what an hour of 33 would
    make it expect, not 500. An ordinary busier hour is learned whole."""
    flat = dict.fromkeys(range(168), 10)
    hour = MONDAY_HOUR + 2 * 168 + 10
    burst, ceiling, ordinary = (_profile(flat, weeks=2) for _ in range(3))
    assert burst.ceiling(10, 1.0) == pytest.approx(33, rel=1e-6)
    _learned(burst, hour, 500)
    _learned(ceiling, hour, 33)
    _learned(ordinary, hour, 29)
    assert burst.counts[10] == pytest.approx(ceiling.counts[10], rel=1e-9)
    assert burst.factor(10) == pytest.approx(ceiling.factor(10), rel=1e-9)
    assert (ceiling.counts[10] - ordinary.counts[10]) / ordinary.scale == pytest.approx(4)
    assert 1.0 < ordinary.factor(10) < burst.factor(10) < 1.6


def test_an_hour_is_learned_only_when_it_is_over() -> None:
    """The articles of the open hour do not move the profile: a surge in it is judged
    against the profile before it."""
    profile = _profile(dict.fromkeys(range(168), 10), weeks=2)
    before = [profile.factor(slot) for slot in range(168)]
    hour = MONDAY_HOUR + 2 * 168 + 10
    profile.add_time(hour, 0.5)
    for _ in range(500):
        profile.add_article(hour)
    assert [profile.factor(slot) for slot in range(168)] == pytest.approx(before, rel=1e-9)
    assert profile.open_articles == 500


# (count, shape, rate, exposure, floor): the score asked only whether it reaches ``floor``.
WITH_A_FLOOR = [
    (*case, floor) for case in ABOVE_THE_MEAN for floor in (0.5, 3.0, 8.0, 40.0)
]  # fmt: skip


@pytest.mark.parametrize(("count", "shape", "rate", "exposure", "floor"), WITH_A_FLOOR)
def test_a_floor_changes_no_answer_to_whether_the_score_reaches_it(
    count: int, shape: float, rate: float, exposure: float, floor: float
) -> None:
    """Below its floor the score may be a bound of it (the tail's first term), never
    above the floor when the score is below it; at or above, the score itself."""
    score = negbin_score(count, shape, rate, exposure)
    floored = negbin_score(count, shape, rate, exposure, floor)
    assert (floored >= floor) == (score >= floor)
    assert floored == score if score >= floor else score <= floored < floor


@pytest.mark.parametrize("shape", [0.5, 1.7, 12.0, 300.0])
@pytest.mark.parametrize("q", [0.01, 0.2, 0.6, 0.95])
@pytest.mark.parametrize("count", [1, 6, 40, 400])
def test_no_count_below_least_reaching_reaches_the_level(
    count: int, shape: float, q: float
) -> None:
    """Every count below the bound scores under the level (the bound is exact, not an
    estimate); 0 says nothing is claimed."""
    rate, level = 1.0, 6.0
    exposure = q / (1 - q) * rate  # q = exposure / (rate + exposure)
    bound = least_reaching(count, shape, q, level)
    assert bound == 0 or bound > count
    assert all(negbin_score(c, shape, rate, exposure) < level for c in range(1, bound))
    # Something is claimed whenever the count's own chance scores under the level.
    assert bound or -_log_chance(count, shape, q) / math.log(10) >= level


def _log_chance(count: int, shape: float, q: float) -> float:
    return (
        math.lgamma(count + shape) - math.lgamma(shape) - math.lgamma(count + 1)
        + shape * math.log1p(-q) + count * math.log(q)
    )  # fmt: skip
