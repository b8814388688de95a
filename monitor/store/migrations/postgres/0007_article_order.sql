-- wirewatch schema version 7 (PostgreSQL twin of ../0007_article_order.sql): an index on
-- articles.seq. Every article write reads the highest seq and the articles stored since
-- this daemon's mark (monitor/postgres_story_sync.py); without the index both scanned the
-- whole table, a cost that grew with every article kept.
CREATE UNIQUE INDEX articles_seq ON articles (seq);

-- Claims walk due feeds in claim order (monitor/postgres_leases.py) and stop at the batch
-- size, instead of hashing and sorting every due feed for each claim.
DROP INDEX feeds_due;
CREATE INDEX feeds_claim_order ON feeds (next_poll NULLS FIRST, md5(url)) WHERE disabled IS NULL;
