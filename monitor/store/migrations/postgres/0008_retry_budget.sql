-- wirewatch schema version 8 (PostgreSQL twin of ../0008_retry_budget.sql): the first
-- attempt of a delivery, for its retry budget, and an index for each notifier's drain.
ALTER TABLE deliveries ADD COLUMN first_attempt_at timestamptz;

DROP INDEX deliveries_notifier_pending;
CREATE INDEX deliveries_notifier_due ON deliveries (notifier, next_attempt_at)
    WHERE state = 'pending';
