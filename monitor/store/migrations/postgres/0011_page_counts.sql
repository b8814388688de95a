-- wirewatch schema version 11 (PostgreSQL twin of ../0011_page_counts.sql): pages tried and
-- read per feed, and why the last page that gave no article failed.
ALTER TABLE feeds ADD COLUMN pages_tried bigint NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN pages_read bigint NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN page_last_issue text;
