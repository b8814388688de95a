"""``bench.scaleout_machine``: how crowded the machine was over a cycle, from two readings,
and the report's columns for it."""

from __future__ import annotations

import argparse
import os

import pytest

from bench.scaleout_machine import Reading, between
from bench.scaleout_report import Cycle, render
from bench.scaleout_setups import with_contention

CORES = os.cpu_count() or 1


def _readings() -> tuple[Reading, Reading]:
    before = Reading(100.0, 50.0, 7.0, ((10, 1, 0.5), (10, 0, 0.0)))
    after = Reading(110.0, 50.0 + 9.0 * CORES, 10.5, ((110, 41, 4.5), (110, 20, 2.0)))
    return before, after


def test_contention_is_what_changed_between_two_readings() -> None:
    contention = between(*_readings())
    assert contention.span == pytest.approx(10.0)
    assert contention.busy_share() == pytest.approx(0.9)
    assert contention.waited == pytest.approx(3.5)
    assert contention.throttled_share() == pytest.approx(60 / 200)
    assert [group[2] for group in contention.throttling] == [pytest.approx(4.0), 2.0]


def test_no_pressure_information_leaves_the_wait_unknown() -> None:
    before, after = _readings()
    unknown = Reading(after.at, after.busy, None, after.throttling)
    assert between(before, unknown).waited is None


def test_unconfined_daemons_have_no_throttled_share() -> None:
    zero = Reading(1.0, 0.0, 0.0, ((0, 0, 0.0),))
    assert between(zero, Reading(2.0, 1.0, 0.0, ((0, 0, 0.0),))).throttled_share() is None


def test_the_report_shows_how_crowded_each_row_was() -> None:
    cycle = with_contention(
        Cycle("PostgreSQL", 2, 10.0, [4.0, 4.0], 20, 1.0), between(*_readings())
    )
    args = argparse.Namespace(
        feeds=100, hosts=10, cycles=1, cpu_per_daemon=0.4, baseline=None,
        postgres_only=True, shared_schema=False, load=(1.0, 1.0, 1.0),
    )  # fmt: skip
    row = render(args, [Cycle("PostgreSQL", 1, 20.0, [8.0], 10, 1.0), cycle], 1.0)
    assert "machine busy | CPU wait | throttled |" in row
    assert row.rstrip().endswith("| 90.0 % | 3.5 s | 30.0 % |")
