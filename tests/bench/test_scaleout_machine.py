"""``bench.scaleout_machine``: how crowded the machine was over a cycle, from two readings,
and the report's columns for it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench import scaleout
from bench.cpu_quota import Throttling
from bench.scaleout_crowd import Crowder, crowding, read_line
from bench.scaleout_daemons import descendants
from bench.scaleout_machine import Reading, between
from bench.scaleout_report import Cycle, render
from bench.scaleout_setups import with_contention, with_crowd
from tests.support.processes import COLD_START_GUARD, HANG_GUARD

CORES = os.cpu_count() or 1


def _readings() -> tuple[Reading, Reading]:
    before = Reading(100.0, 50.0, 7.0, (Throttling(10, 1, 0.5), Throttling(10, 0, 0.0)))
    after = Reading(
        110.0, 50.0 + 9.0 * CORES, 10.5, (Throttling(110, 41, 4.5), Throttling(110, 20, 2.0))
    )
    return before, after


def test_contention_is_what_changed_between_two_readings() -> None:
    contention = between(*_readings())
    assert contention.span == pytest.approx(10.0)
    assert contention.busy_share() == pytest.approx(0.9)
    assert contention.waited == pytest.approx(3.5)
    assert contention.throttled_share() == pytest.approx(60 / 200)
    assert [group.seconds for group in contention.throttling] == [pytest.approx(4.0), 2.0]


def test_no_pressure_information_leaves_the_wait_unknown() -> None:
    before, after = _readings()
    unknown = Reading(after.at, after.busy, None, after.throttling)
    assert between(before, unknown).waited is None


def test_unconfined_daemons_have_no_throttled_share() -> None:
    zero = Reading(1.0, 0.0, 0.0, (Throttling(),))
    assert between(zero, Reading(2.0, 1.0, 0.0, (Throttling(),))).throttled_share() is None


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
    assert row.rstrip().endswith("| 90.0 % | 3.5 s | 30.0 % | — | — | — |")


def _three(crowders: int, cpu: float, database: float, round_number: int = 1) -> Cycle:
    daemons = 3 if not crowders else 1
    share = [cpu / daemons] * daemons
    return Cycle("PostgreSQL", daemons, 10.0, share, 10, database, round=round_number,
                 crowders=crowders)  # fmt: skip


def test_three_daemons_are_compared_with_the_crowded_one_too() -> None:
    """The crowded one-daemon row is its own row, not the one daemon the others are
    compared with; the last column compares them with it instead."""
    args = argparse.Namespace(
        feeds=100, hosts=10, cycles=1, cpu_per_daemon=0.4, baseline=None,
        postgres_only=True, shared_schema=False, load=(1.0, 1.0, 1.0), crowd=True,
    )  # fmt: skip
    alone, crowded, three = _three(0, 8.0, 2.0), _three(2, 9.0, 2.0), _three(0, 12.0, 3.0)
    alone.daemons, alone.cpu = 1, [8.0]
    rows = render(args, [alone, three, crowded], 1.0).split("\n")[-3:]
    assert [row.split(" | ")[2] for row in rows] == ["1", "3", "1 + 2 crowders"]
    assert rows[1].split(" | ")[13] == "0.67"  # eff. CPU: 10 / 15 against the one alone
    assert rows[1].endswith("| 0.73 | — | — |")  # 11 / 15 against the crowded one
    assert rows[2].split(" | ")[13] == "0.91"  # what the crowding alone cost: 10 / 11
    assert rows[0].endswith("| — | — | — |") and rows[2].split(" | ")[-3] == "—"


def test_the_crowded_row_shows_how_busy_its_crowders_were() -> None:
    """Two crowders of 0.4 CPU over 10 s may spend 8 CPU s: they spent 6, and were
    throttled in 30 of their 200 periods."""
    before = Reading(0.0, 1.0, None, (Throttling(), Throttling(5, 5, 0.1)))
    after = Reading(10.0, 7.0, None, (Throttling(100, 10, 1.0), Throttling(105, 25, 2.0)))
    crowded = with_crowd(_three(2, 9.0, 2.0), between(before, after), 0.4)
    args = argparse.Namespace(
        feeds=100, hosts=10, cycles=1, cpu_per_daemon=0.4, baseline=None,
        postgres_only=True, shared_schema=False, load=(1.0, 1.0, 1.0), crowd=True,
    )  # fmt: skip
    row = render(args, [_three(0, 8.0, 2.0), crowded], 1.0).split("\n")[-1]
    assert row.endswith("| — | 75.0 % | 15.0 % |")


def test_crowd_without_a_cpu_quota_is_refused() -> None:
    """Unconfined, two flat-out crowders would take both cores of this machine."""
    with pytest.raises(SystemExit) as refused:
        scaleout.main(["--crowd"])
    assert refused.value.code == 2


def test_crowders_work_while_inside_and_are_gone_after() -> None:
    with crowding(1, None, guard=COLD_START_GUARD) as crowd:
        (crowder,) = crowd.crowders
        assert [pid for pid in descendants(os.getpid()) if _is_crowder(pid)] == [
            crowder.process.pid
        ]
        assert read_line(crowder.process, HANG_GUARD) == b"worked\n"  # a first pass done
        assert crowder.process.poll() is None  # and still working
    with pytest.raises(ProcessLookupError):
        os.kill(crowder.process.pid, 0)  # ended and reaped


def test_a_crowder_that_cannot_start_is_reported_with_its_stderr() -> None:
    """As when its shell cannot join its CPU group: the error names its exit and stderr."""
    refusal = "sh: 1: cannot create cgroup.procs: Permission denied"
    command = ["sh", "-c", f"echo '{refusal}' >&2; exit 2"]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        with process, pytest.raises(RuntimeError) as failed:
            Crowder(process, stderr, None).expect("ready", HANG_GUARD)
    assert "exited with status 2" in str(failed.value)
    assert refusal in str(failed.value)


def test_a_crowder_that_prints_something_else_is_reported() -> None:
    command = [sys.executable, "-c", "print('Traceback: no feeds')"]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        with process, pytest.raises(RuntimeError, match="printed b'Traceback: no feeds"):
            Crowder(process, stderr, None).expect("ready", COLD_START_GUARD)


def _is_crowder(pid: int) -> bool:
    return b"bench.scaleout_crowd" in Path(f"/proc/{pid}/cmdline").read_bytes()
