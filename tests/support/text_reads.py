"""Counting the story index's text readings: which titles were read on the loop."""

from __future__ import annotations

import pytest

from monitor.stories import queries


def count_text_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Wrap ``queries.read_text`` for the test: the returned list gains each title read,
    and every reading is still the real one."""
    reads: list[str] = []
    original = queries.read_text

    def counted(title: str, lead: str, language: str, **options: bool) -> queries.Reading:
        reads.append(title)
        return original(title, lead, language, **options)

    monkeypatch.setattr(queries, "read_text", counted)
    return reads
