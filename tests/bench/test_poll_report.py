"""``bench.poll``'s report compares CPU with CPU beside the wall-time ratio."""

from __future__ import annotations

from bench.poll import _cpu_comparison


def test_the_cpu_ratio_counts_the_daemon_and_its_parse_workers() -> None:
    line = _cpu_comparison({"cpu": 10.0, "worker_cpu": 5.0}, {"cpu_scaled": 30.0})
    assert "wirewatch 15.0 s" in line
    assert "30.0 s" in line
    assert "**2.0×**" in line
