"""Readers' verdicts on alerts, as one set of SQL for both backends (schema version 16).

A verdict is never overwritten: each is a row, and the latest (highest ``feedback_id``)
per alert is the one that counts (docs/decisions/0047-alert-feedback.md)."""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

from collections.abc import Sequence

from monitor.records import SURGE_ALERT, AlertVerdict, Feedback, RuleFeedback
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.rows import Row, when
from monitor.store.sql.steps import Steps, first_of

HISTORY = "SELECT * FROM feedback WHERE alert_id = ? ORDER BY feedback_id"
ALERT_RULE = "SELECT rule FROM alerts WHERE alert_id = ?"
RECORD = """
INSERT INTO feedback (alert_id, rule, verdict, note, judged_by, judged_at)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING feedback_id
"""
# One count per verdict, from the enum: a new verdict is counted without touching SQL.
_COUNTS = ",\n".join(
    f"       sum(CASE WHEN f.verdict = '{kind.value}' THEN 1 ELSE 0 END) AS {kind.value}"
    for kind in AlertVerdict
)
# Per rule, its alerts raised since ``?`` and the latest verdict on each, counted.
# Surge alerts are left out: they are the surge detector's, not a rule's.
RULE_FEEDBACK = f"""
SELECT al.rule, count(*) AS alerts,
{_COUNTS}
FROM alerts al
LEFT JOIN feedback f ON f.feedback_id = (
    SELECT max(feedback_id) FROM feedback WHERE alert_id = al.alert_id)
WHERE al.created_at >= ? AND al.alert_id NOT LIKE '{SURGE_ALERT}%'
GROUP BY al.rule
ORDER BY al.rule{{collate}}
"""


def history_of(dialect: Dialect, count: int) -> str:
    """Every verdict on ``count`` alerts, oldest first."""
    where = dialect.in_list("alert_id", count)
    return f"SELECT * FROM feedback WHERE {where} ORDER BY feedback_id"


def record(dialect: Dialect, feedback: Feedback) -> Steps[Feedback | None]:
    """Keep ``feedback`` with its alert's rule; None (nothing kept) when no such alert."""
    alert = yield from first_of(ALERT_RULE, (feedback.alert_id,))
    if alert is None:
        return None
    values = (feedback.alert_id, alert["rule"], feedback.verdict.value, feedback.note,
              feedback.judged_by, dialect.time(feedback.judged_at))  # fmt: skip
    row = yield from first_of(RECORD, values)
    assert row is not None, "INSERT … RETURNING returns the new row"
    return Feedback(
        alert_id=feedback.alert_id, verdict=feedback.verdict, judged_by=feedback.judged_by,
        judged_at=feedback.judged_at, note=feedback.note, rule=alert["rule"],
        feedback_id=int(row["feedback_id"]),
    )  # fmt: skip


def feedback(row: Row) -> Feedback:
    return Feedback(
        alert_id=row["alert_id"], verdict=AlertVerdict(row["verdict"]),
        judged_by=row["judged_by"], judged_at=when(row["judged_at"]), note=row["note"],
        rule=row["rule"], feedback_id=int(row["feedback_id"]),
    )  # fmt: skip


def histories(found: Sequence[Row]) -> dict[str, list[Feedback]]:
    by_alert: dict[str, list[Feedback]] = {}
    for row in found:
        by_alert.setdefault(row["alert_id"], []).append(feedback(row))
    return by_alert


def rule_feedback(row: Row) -> RuleFeedback:
    counts = {kind.value: int(row[kind.value] or 0) for kind in AlertVerdict}
    return RuleFeedback(rule=row["rule"], alerts=int(row["alerts"]), **counts)
