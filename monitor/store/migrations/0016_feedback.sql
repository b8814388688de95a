-- wirewatch schema version 16: readers' verdicts on alerts (useful, false_positive,
-- duplicate), from `wirewatch alerts mark`, a signed link in the message, or the API.
-- History: each verdict is a row of its own and the latest one per alert counts. The
-- alert's rule is kept beside it, so a verdict outlives its alert's retention.
CREATE TABLE feedback (
    feedback_id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    verdict TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    judged_by TEXT NOT NULL,
    judged_at TEXT NOT NULL
);
CREATE INDEX feedback_alert ON feedback (alert_id, feedback_id);
