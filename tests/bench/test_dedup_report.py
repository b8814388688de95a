"""The dedup section's prose follows what was measured."""

from __future__ import annotations

import pytest

from bench.dedup_report import growth
from bench.dedup_scale import ScalePoint


def _point(window: int, median_us: float) -> ScalePoint:
    return ScalePoint(window, window, median_us, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("windows", "said"),
    [
        ([(10_000, 800.0)], []),  # one window (--scale 10000): nothing to compare
        ([(10_000, 800.0), (100_000, 880.0)], ["From 10,000 to 100,000", "+10 %", "10×"]),
    ],
    ids=["one-window", "two-windows"],
)
def test_the_growth_line_compares_two_windows_or_says_nothing(
    windows: list[tuple[int, float]], said: list[str]
) -> None:
    text = "\n".join(growth([_point(*window) for window in windows]))
    assert [part for part in said if part in text] == said
    assert bool(text) == bool(said)
