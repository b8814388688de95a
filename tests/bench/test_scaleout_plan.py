"""``bench.scaleout``'s pure parts: the farm's cycles, the setups' order, and the report's
medians, spreads and efficiencies paired by round."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from bench import feedfarm
from bench.scaleout_databases import database_url
from bench.scaleout_farm import balanced
from bench.scaleout_report import (
    Cycle,
    Row,
    cpu_efficiency,
    paired,
    rate_efficiency,
    rows_of,
    spread,
)
from bench.scaleout_setups import interleaved


def test_every_cycle_changes_a_fifth_of_the_feeds_with_the_same_items() -> None:
    items = set()
    for cycle in range(1, 11):
        changed = [feed for feed in range(1000) if balanced(feed, cycle)]
        assert len(changed) == 200
        items.add(sum(feedfarm.item_count(feed) for feed in changed))
    assert items == {200 * 19.5}


def test_the_plain_schedule_parses_more_items_in_some_cycles_than_others() -> None:
    """Why the scale-out farm has its own schedule (fails if the plain one is evened out)."""
    totals = {
        sum(feedfarm.item_count(feed) for feed in range(1000) if feedfarm.changed(feed, cycle))
        for cycle in range(1, 6)
    }
    assert max(totals) - min(totals) >= 500


def test_a_cycle_served_again_answers_as_the_first_time() -> None:
    """A setup measured later replays the same cycle: same bodies, same ETags."""
    farm = feedfarm.Farm(50, schedule=balanced)
    farm.answer("/_cycle/2", {})
    first = {feed: farm.answer(f"/feed/{feed}.xml", {}) for feed in range(50)}
    farm.answer("/_cycle/4", {})
    assert farm.answer("/feed/20.xml", {}) != first[20]  # feeds 20-29 changed in cycle 3
    farm.answer("/_cycle/2", {})
    assert {feed: farm.answer(f"/feed/{feed}.xml", {}) for feed in range(50)} == first


def test_a_farm_without_a_schedule_changes_feeds_as_before() -> None:
    farm = feedfarm.Farm(20)
    farm.answer("/_cycle/3", {})
    status, headers, _ = farm.answer("/feed/2.xml", {})
    assert (status, headers["ETag"]) == (200, feedfarm.etag(2, 3))
    assert feedfarm.etag(2, 3) == f'"2-{sum(feedfarm.changed(2, c) for c in (1, 2, 3))}"'


@pytest.mark.parametrize("count", [1, 3, 6])
def test_each_round_measures_every_setup_once_in_a_rotating_order(count: int) -> None:
    setups = [f"s{i}" for i in range(count)]
    order = interleaved(setups, 2 * count)
    assert len(order) == 2 * count * count
    for round_number in range(1, 2 * count + 1):
        assert sorted(s for r, s in order if r == round_number) == setups
    places = Counter((i % count, s) for i, (_, s) in enumerate(order))
    assert set(places.values()) == {2}  # every setup at every place in a round, alike


def test_three_setups_rotate_and_none_runs_twice_in_a_row() -> None:
    order = [s for _, s in interleaved(["1", "2", "3"], 4)]
    assert order == list("123231312123")
    assert all(a != b for a, b in itertools.pairwise(order))


def _cycle(daemons: int, wall: float, cpu: float, database: float, round_number: int) -> Cycle:
    share = [cpu / daemons] * daemons
    return Cycle("PostgreSQL", daemons, wall, share, 10, database, "this", None, None, None,
                 round_number)  # fmt: skip


def test_efficiencies_pair_each_cycle_with_the_one_daemon_cycle_of_its_round() -> None:
    one = Row([_cycle(1, 30.0, 9.0, 1.0, 1), _cycle(1, 60.0, 18.0, 2.0, 2)])  # round 2 slow
    three = Row([_cycle(3, 12.0, 12.0, 3.0, 1), _cycle(3, 24.0, 24.0, 6.0, 2)])
    assert paired(three, one, rate_efficiency) == [pytest.approx(30 / 36)] * 2
    assert paired(three, one, cpu_efficiency) == [pytest.approx(10 / 15)] * 2


def test_a_round_the_one_daemon_setup_did_not_measure_is_left_out() -> None:
    one = Row([_cycle(1, 30.0, 9.0, 1.0, 1)])
    two = Row([_cycle(2, 15.0, 10.0, 1.0, 1), _cycle(2, 20.0, 10.0, 1.0, 2)])
    assert paired(two, one, rate_efficiency) == [pytest.approx(1.0)]


def test_spread_is_the_median_with_the_lowest_and_highest() -> None:
    assert spread([3.0, 1.0, 10.0]) == (3.0, 1.0, 10.0)
    assert spread([2.0, 4.0]) == (3.0, 2.0, 4.0)


def test_rows_group_cycles_by_store_code_and_daemon_count_in_order_measured() -> None:
    cycles = [_cycle(n, 10.0, 1.0, 0.5, r) for r in (1, 2) for n in (1, 2, 3)]
    rows = rows_of(cycles)
    assert [r.first.daemons for r in rows] == [1, 2, 3]
    assert [[c.round for c in r.cycles] for r in rows] == [[1, 2]] * 3
    assert rows[1].total_cpu() == [1.5, 1.5]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/bench",
            "postgresql://postgres@127.0.0.1:5432/ww_x_1?application_name=ww_x_1",
        ),
        (
            "postgresql://u:p@db/bench?sslmode=disable&application_name=old",
            "postgresql://u:p@db/ww_x_1?sslmode=disable&application_name=ww_x_1",
        ),
    ],
)
def test_a_setups_url_names_its_database_and_its_sessions(url: str, expected: str) -> None:
    assert database_url(url, "ww_x_1") == expected
