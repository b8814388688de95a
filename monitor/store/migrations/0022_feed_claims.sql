-- wirewatch schema version 22: PostgreSQL adds feed sets and the claim function daemons
-- sharing one database lease feeds through; one SQLite store has one daemon: nothing here.
SELECT 1;
