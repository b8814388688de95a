-- wirewatch schema version 7: nothing to do on SQLite, where articles' insertion order is
-- the rowid, indexed already. The PostgreSQL twin indexes the seq column that stands in
-- for it; both schemas keep the same versions.
SELECT 1;
