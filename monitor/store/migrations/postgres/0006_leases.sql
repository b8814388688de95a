-- wirewatch schema version 6 (PostgreSQL twin of ../0006_leases.sql): several daemons on one
-- database (docs/decisions/0017-leases.md). Lease times are the database's clock (now()).

-- A feed being polled is leased to one daemon until ``lease_expires``; a dead daemon's
-- leases lapse and another daemon claims the feed.
ALTER TABLE feeds ADD COLUMN lease_owner text;
ALTER TABLE feeds ADD COLUMN lease_expires timestamptz;
CREATE INDEX feeds_due ON feeds (next_poll) WHERE disabled IS NULL;

-- A delivery being sent is claimed by one daemon until ``claim_expires``; sent, retried or
-- dead is written only while the claim is still that daemon's.
ALTER TABLE deliveries ADD COLUMN claimed_by text;
ALTER TABLE deliveries ADD COLUMN claim_expires timestamptz;
