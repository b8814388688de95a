-- wirewatch schema version 6: lease columns for several daemons on one PostgreSQL database
-- (docs/decisions/0017-leases.md). One daemon owns an SQLite file (the instance lock), so
-- they stay empty here; they exist so both schemas keep the same versions and columns.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_expires TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claim_expires TEXT;
