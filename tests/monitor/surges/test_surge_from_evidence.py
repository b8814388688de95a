"""A surge read back from its stored columns and evidence leaves the caller's data as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.surges import SurgeKind, surge_from_evidence

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_the_callers_columns_are_not_changed() -> None:
    fields = {
        "surge_id": "3f9a", "kind": "name", "key": "تبریز", "label": "تبریز",
        "window_start": END - timedelta(hours=1), "window_end": END, "fired_at": END,
        "count": 12, "expected": 0.5, "outlets": 9, "score": 9.5,
    }  # fmt: skip
    before = dict(fields)
    evidence = {"top_stories": [["s1", "زلزله در تبریز", 7]], "top_outlets": ["wire:AFP"]}
    surge = surge_from_evidence(fields, evidence)
    assert fields == before
    assert (surge.kind, surge.key, surge.top_stories) == (
        SurgeKind.NAME, "تبریز", (("s1", "زلزله در تبریز", 7),),
    )  # fmt: skip
