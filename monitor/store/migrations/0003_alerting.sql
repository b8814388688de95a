-- wirewatch schema version 3: story-aware alerts, batched deliveries, threads, silences (issue #5).

-- What an alert knew when it was raised: how many outlets had reported the story and,
-- for an update, why it was raised ("reported by 3 outlets; severity raised to high").
ALTER TABLE alerts ADD COLUMN outlets INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN reason TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_created ON alerts (created_at);

-- A delivery sent as part of one message with others (a group or a digest) is claimed
-- into a batch before the first try, so every retry resends the same message under the
-- same idempotency key. ``hold`` says why a pending delivery waits (quiet_hours, digest,
-- group, rate_limit, thread); it is informational and cleared when the delivery is sent.
ALTER TABLE deliveries ADD COLUMN batch_id TEXT;
ALTER TABLE deliveries ADD COLUMN hold TEXT;
CREATE INDEX deliveries_batch ON deliveries (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX deliveries_notifier_pending ON deliveries (notifier) WHERE state = 'pending';

-- The message a story's first alert for a rule went out as, per notifier: a Slack
-- message ts or an email Message-ID. Updates reply to it.
CREATE TABLE threads (
    story_id  TEXT NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    rule      TEXT NOT NULL,
    notifier  TEXT NOT NULL,
    ref       TEXT NOT NULL,
    PRIMARY KEY (story_id, rule, notifier)
) WITHOUT ROWID;

-- Silences suppress deliveries at dispatch time until they expire. Empty strings match
-- anything: a silence names a rule, a story, a notifier, or a combination.
CREATE TABLE silences (
    silence_id  INTEGER PRIMARY KEY,
    rule        TEXT NOT NULL DEFAULT '',
    story_id    TEXT NOT NULL DEFAULT '',
    notifier    TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX silences_expiry ON silences (expires_at);
