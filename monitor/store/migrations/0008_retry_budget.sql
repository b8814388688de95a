-- wirewatch schema version 8: a delivery's retry budget is a span of time from its first
-- attempt (monitor/alerting/retries.py), so that moment is kept; NULL until the first
-- attempt, never changed after it.
ALTER TABLE deliveries ADD COLUMN first_attempt_at TEXT;

-- Each notifier drains its own outbox (monitor/alerting/drains.py): its due deliveries
-- are read in next-attempt order by notifier. The index also serves the pending
-- deliveries of one notifier that the old one on (notifier) did.
DROP INDEX deliveries_notifier_pending;
CREATE INDEX deliveries_notifier_due ON deliveries (notifier, next_attempt_at)
    WHERE state = 'pending';
