"""Smoke test of ``bench.store_calls``: a few feeds' store calls measured end to end on
PostgreSQL and the section written, so an API change cannot silently break the
benchmark. No figure is asserted: they depend on the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.store_calls import main
from tests.support.stores import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]


def test_the_benchmark_writes_its_section(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--feeds", "3", "--rounds", "1", "--url", POSTGRES_URL,
                 "--output", str(output)]) == 0  # fmt: skip
    report = output.read_text(encoding="utf-8")
    assert "<!-- bench:store_calls start -->" in report
    assert "| this | " in report
