"""``bench.poll``'s report compares CPU with CPU beside the wall-time ratio."""

from __future__ import annotations

from bench.poll import _cpu_comparison, median_pass


def test_the_cpu_ratio_counts_the_daemon_and_its_parse_workers() -> None:
    line = _cpu_comparison({"cpu": 10.0, "worker_cpu": 5.0}, {"cpu_scaled": 30.0})
    assert "wirewatch 15.0 s" in line
    assert "30.0 s" in line
    assert "**2.00×**" in line


def test_the_naive_figures_are_the_median_of_the_passes_each_listed() -> None:
    passes = [
        {"sample": 300.0, "wall_sample": wall, "wall_scaled": wall * 10, "cpu_scaled": cpu}
        for wall, cpu in ((5.0, 2.0), (3.0, 4.0), (9.0, 3.0))
    ]
    median = median_pass(passes)
    assert median["wall_sample"] == 5.0
    assert median["wall_scaled"] == 50.0
    assert median["cpu_scaled"] == 3.0
    assert median["passes"] == [5.0, 3.0, 9.0]
