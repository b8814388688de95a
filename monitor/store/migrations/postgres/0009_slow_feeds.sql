-- wirewatch schema version 9 (PostgreSQL twin of ../0009_slow_feeds.sql): whether a
-- feed's last fetch was slow, for its host's politeness lane after a restart.
ALTER TABLE feeds ADD COLUMN slow boolean NOT NULL DEFAULT false;
