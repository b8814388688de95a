-- wirewatch schema version 4: feed health, adaptive intervals, moved and gone feeds,
-- WebSub subscriptions (issue #6).
ALTER TABLE feeds ADD COLUMN last_success TEXT;
ALTER TABLE feeds ADD COLUMN failing_since TEXT;
ALTER TABLE feeds ADD COLUMN failure_alerted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN items_per_day REAL;
ALTER TABLE feeds ADD COLUMN feed_ttl REAL;
ALTER TABLE feeds ADD COLUMN interval REAL;
ALTER TABLE feeds ADD COLUMN next_poll TEXT;
ALTER TABLE feeds ADD COLUMN moved_to TEXT;
ALTER TABLE feeds ADD COLUMN disabled TEXT;

-- One WebSub subscription per feed (keyed by the configured feed URL). ``secret`` signs
-- what the hub pushes (X-Hub-Signature); ``state`` is requested, active, denied or
-- unsubscribed; ``expires_at`` is when the hub's lease ends.
CREATE TABLE websub (
    feed_url       TEXT PRIMARY KEY,
    hub            TEXT NOT NULL,
    topic          TEXT NOT NULL,
    callback_id    TEXT NOT NULL UNIQUE,
    secret         TEXT NOT NULL,
    state          TEXT NOT NULL,
    lease_seconds  INTEGER,
    requested_at   TEXT NOT NULL,
    expires_at     TEXT,
    last_error     TEXT
);
