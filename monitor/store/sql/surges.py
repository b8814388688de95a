"""The surges that fired and the surge detector's saved state, as one set of SQL for
both backends (schema version 15)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from monitor.store.sql.dialect import Dialect
from monitor.store.sql.rows import Row, when
from monitor.surges import Surge, surge_from_evidence

STATE_NAME = "detector"  # the state row of a daemon with no ``[daemon] instance`` set

RECORD_SURGE = """
INSERT INTO surges (surge_id, kind, surge_key, label, window_start, window_end, fired_at,
                    report_count, expected, outlets, score, evidence)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (surge_id) DO NOTHING
"""
LIST_SURGES = """
SELECT * FROM surges WHERE fired_at >= ? ORDER BY fired_at, surge_id{collate}
"""
LATEST_SURGES = """
SELECT * FROM surges WHERE fired_at >= ? ORDER BY fired_at DESC, surge_id{collate} DESC LIMIT ?
"""
SAVE_STATE = """
INSERT INTO surge_state (name, state, saved_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at
"""
LOAD_STATE = "SELECT state FROM surge_state WHERE name = ?"
# Another surge of the same kind and key fired since ``?`` (its cooldown): a daemon
# sharing the store saw it first (bounded by the surges_fired_at index).
FIRED_LATELY = """
SELECT surge_id FROM surges
WHERE fired_at > ? AND kind = ? AND surge_key = ? AND surge_id <> ?
LIMIT 1
"""


def surge_values(dialect: Dialect, surge: Surge) -> tuple[Any, ...]:
    time = dialect.time
    return (
        surge.surge_id, surge.kind.value, surge.key, surge.label, time(surge.window_start),
        time(surge.window_end), time(surge.fired_at), surge.count, surge.expected,
        surge.outlets, surge.score, dialect.json(surge.evidence()),
    )  # fmt: skip


def surge(row: Row) -> Surge:
    evidence = row["evidence"]
    fields = {
        "surge_id": row["surge_id"], "kind": row["kind"], "key": row["surge_key"],
        "label": row["label"], "window_start": when(row["window_start"]),
        "window_end": when(row["window_end"]), "fired_at": when(row["fired_at"]),
        "count": int(row["report_count"]), "expected": float(row["expected"]),
        "outlets": int(row["outlets"]), "score": float(row["score"]),
    }  # fmt: skip
    decoded = json.loads(evidence) if isinstance(evidence, str) else evidence  # SQLite: text
    return surge_from_evidence(fields, decoded)


def state_bytes(rows: Sequence[Row]) -> bytes | None:
    return bytes(rows[0]["state"]) if rows else None
