-- wirewatch schema version 18: PostgreSQL adds the function daemons sharing one database
-- publish articles through (decision 0056); one SQLite store has one daemon: nothing here.
SELECT 1;
