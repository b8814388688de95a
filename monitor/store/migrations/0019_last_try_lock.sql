-- wirewatch schema version 19: PostgreSQL's publishing gives way to a write on its last
-- try (decision 0056); one SQLite store has one daemon: nothing here.
SELECT 1;
