"""bench.match's English "then and now" check: how it is judged and reported, and which
side it names when a child process fails.

The rates below are written for these tests; no timing is measured or asserted.
"""

from __future__ import annotations

import subprocess

import pytest

from bench import match_languages
from bench.match_languages import Today, measure_today
from bench.match_report import _today

REF = "a30bcba42da11343210dc25566f488564b771347"


@pytest.mark.parametrize(("turns", "verdict", "medians", "wins"), [
    # This code's best is below the old code's best, though above the old code's
    # slowest turn: still not met.
    (((77_787.0, 76_037.0), (76_887.0, 74_449.0), (76_601.0, 76_762.0)), "NOT met",
     "medians 76,037 now, 76,887 at a30bcba42d", "the old code won 2, this code 1"),
    (((70_000.0, 71_000.0), (72_000.0, 71_500.0), (69_000.0, 72_500.0)), "met",
     "medians 71,500 now, 70,000 at a30bcba42d", "the old code won 1, this code 2"),
    (((70_000.0, 70_000.0),), "met", "medians 70,000 now, 70,000 at a30bcba42d",
     "the old code won 0, this code 0"),
])  # fmt: skip
def test_english_is_judged_by_best_turns_and_reported_with_medians_and_wins(
    turns: tuple[tuple[float, float], ...], verdict: str, medians: str, wins: str
) -> None:
    then, now = (max(side) for side in zip(*turns, strict=True))
    line = _today(Today(REF, 1_000, then, now, turns=turns))
    assert f"— {verdict};" in line
    assert f"{medians}; of {len(turns)} paired turns {wins}" in line


def test_an_unknown_commit_is_named_as_the_side_that_failed() -> None:
    today = measure_today("0" * 40, 2, 10, 1, lambda _m, articles, _r: 0.001 * len(articles))
    assert today.then is None
    assert today.note.startswith("commit 0000000000 could not be timed: ")
    assert today.now == pytest.approx(1000)


def test_a_failure_of_this_codes_child_is_not_blamed_on_the_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def rate_at(ref: str | None, _count: int, _articles: int, _repeat: int) -> float:
        if ref is None:  # the subprocess seam: this code's child exits with an error
            raise subprocess.CalledProcessError(1, ["python"], stderr="boom")
        return 5_000.0

    monkeypatch.setattr(match_languages, "_rate_at", rate_at)
    today = measure_today(REF, 2, 10, 1, lambda _m, articles, _r: 0.001 * len(articles))
    assert today.then is None and "commit" not in today.note
    assert today.note.startswith("this code's child process failed: ")
    assert "this code's child process failed" in _today(today)
