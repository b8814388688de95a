"""``bench.scaleout`` when the server has no connection slot for it (others' benchmarks
holding theirs): it waits and tries again, and a cycle whose backends it could still not
read is reported as such, not counted as free; a second run keeps the first's logs."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench import scaleout_databases, scaleout_setups
from bench.scaleout import run_folder
from bench.scaleout_report import Cycle, Row, render

_FULL = psycopg.OperationalError("connection failed: FATAL:  sorry, too many clients already")


class Server:
    """``psycopg.connect`` answered by a server that refuses ``refusals`` times first
    (the transport seam); ``pause`` records the pauses asked for, in place of waiting them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, refusals: int, err: Exception = _FULL):
        self.refusals, self.err, self.pauses = refusals, err, list[float]()
        monkeypatch.setattr(psycopg, "connect", self.connect)  # what scaleout_databases calls

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)

    def connect(self, url: str, **kwargs: Any) -> str:
        if self.refusals:
            self.refusals -= 1
            raise self.err
        return f"connected to {url}"


def test_a_refused_connection_is_tried_again_with_growing_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = Server(monkeypatch, refusals=3)
    connected: object = scaleout_databases.connect("postgresql://db", sleep=server.pause)
    assert connected == "connected to postgresql://db"
    assert server.pauses == [0.25, 0.5, 1.0]


def test_past_its_patience_or_for_another_cause_the_refusal_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crowded = Server(monkeypatch, refusals=100)
    with pytest.raises(psycopg.OperationalError, match="too many clients"):
        scaleout_databases.connect("postgresql://db", patience=5.0, sleep=crowded.pause)
    assert sum(crowded.pauses) <= 5.0
    server = Server(monkeypatch, refusals=1, err=psycopg.OperationalError("no such host"))
    with pytest.raises(psycopg.OperationalError, match="no such host"):
        scaleout_databases.connect("postgresql://db", sleep=server.pause)
    assert server.pauses == []


def test_a_cycle_whose_backends_could_not_be_read_is_reported_and_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = Server(monkeypatch, refusals=1_000)
    patient = partial(scaleout_databases.connect, sleep=server.pause)
    monkeypatch.setattr(scaleout_setups, "connect", patient)  # this module's name only
    assert scaleout_setups.postgres_connections("postgresql://db") == (None, {})
    one = [Cycle("PostgreSQL", 1, 10.0, [8.0], 3, 2.0, round=n) for n in (1, 2)]
    two = [Cycle("PostgreSQL", 2, 6.0, [5.0, 5.0], 6, None, round=1),
           Cycle("PostgreSQL", 2, 6.0, [6.0, 6.0], 6, 3.0, round=2)]  # fmt: skip
    assert Row(two).total_cpu() == [15.0]  # not 10.0, as if the backends had cost nothing
    args = argparse.Namespace(feeds=1000, hosts=10, cpu_per_daemon=None, cycles=2,
                              baseline=None, postgres_only=True, shared_schema=False,
                              load=(1.0, 1.0, 1.0))  # fmt: skip
    report = render(args, one + two, 60.0)
    assert "PG backends not read in 1 of 4 PostgreSQL cycles" in report
    [row] = [line for line in report.splitlines() if line.startswith("| PostgreSQL | this | 2 |")]
    assert "| 15.0 s | 0.83 (0.83–0.83) | 0.67 |" in row  # eff. CPU from round 2 alone


def test_a_second_run_with_the_same_log_folder_keeps_the_first_runs_logs(tmp_path: Path) -> None:
    first, second = run_folder(tmp_path), run_folder(tmp_path)
    assert first is not None and second is not None and first != second
    assert first.parent == second.parent == tmp_path
    assert first.name.startswith("run-") and second.name.startswith(first.name)
    assert run_folder(None) is None
