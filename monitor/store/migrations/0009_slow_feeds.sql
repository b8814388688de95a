-- wirewatch schema version 9: whether a feed's last fetch was slow (still in flight after
-- host_slow_after, or timed out), so that after a restart it waits for one of its host's
-- slow places from its first poll instead of holding a regular slot (decision 0025).
ALTER TABLE feeds ADD COLUMN slow INTEGER NOT NULL DEFAULT 0;
