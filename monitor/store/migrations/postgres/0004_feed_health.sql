-- wirewatch schema version 4 (PostgreSQL twin of ../0004_feed_health.sql): feed health,
-- adaptive intervals, moved and gone feeds, WebSub subscriptions.
ALTER TABLE feeds ADD COLUMN last_success timestamptz;
ALTER TABLE feeds ADD COLUMN failing_since timestamptz;
ALTER TABLE feeds ADD COLUMN failure_alerted boolean NOT NULL DEFAULT false;
ALTER TABLE feeds ADD COLUMN items_per_day double precision;
ALTER TABLE feeds ADD COLUMN feed_ttl double precision;
ALTER TABLE feeds ADD COLUMN interval double precision;
ALTER TABLE feeds ADD COLUMN next_poll timestamptz;
ALTER TABLE feeds ADD COLUMN moved_to text;
ALTER TABLE feeds ADD COLUMN disabled text;

CREATE TABLE websub (
    feed_url       text PRIMARY KEY,
    hub            text NOT NULL,
    topic          text NOT NULL,
    callback_id    text NOT NULL UNIQUE,
    secret         text NOT NULL,
    state          text NOT NULL,
    lease_seconds  integer,
    requested_at   timestamptz NOT NULL,
    expires_at     timestamptz,
    last_error     text
);
