-- wirewatch schema version 15: surges (monitor.surges). `surges`: each surge that fired,
-- keyed by its stable id (kind, key and window start hashed) so a repeat is a no-op; its
-- top stories and outlets are JSON in `evidence`; retention prunes it by `fired_at`.
-- `surge_state`: the detector's learned baselines and windows (a versioned, compressed
-- snapshot), one row per name, saved periodically and at shutdown, read back at start.
CREATE TABLE surges (
    surge_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    surge_key TEXT NOT NULL,
    label TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    fired_at TEXT NOT NULL,
    report_count INTEGER NOT NULL,
    expected REAL NOT NULL,
    outlets INTEGER NOT NULL,
    score REAL NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX surges_fired_at ON surges (fired_at);
CREATE TABLE surge_state (
    name TEXT PRIMARY KEY,
    state BLOB NOT NULL,
    saved_at TEXT NOT NULL
);
