-- wirewatch schema version 25: PostgreSQL's publishing no longer gives way to the
-- last-try lock (decision 0088); one SQLite store has one daemon: nothing here.
SELECT 1;
