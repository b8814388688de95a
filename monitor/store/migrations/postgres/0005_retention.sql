-- wirewatch schema version 5 (PostgreSQL twin of ../0005_retention.sql): retention
-- (docs/decisions/0015-retention.md).

-- What pruning removed, so an entry its feed still lists is not taken for news again:
-- ``article_id`` is derived from (feed URL, GUID), so a returning entry is found here and
-- skipped as seen. Tombstones are pruned in their turn after [retention] tombstones_days.
CREATE TABLE pruned_articles (
    article_id  text PRIMARY KEY,
    story_id    text NOT NULL,
    pruned_at   timestamptz NOT NULL
);
CREATE INDEX pruned_articles_age ON pruned_articles (pruned_at);

-- An article is kept while an alert names it: pruning asks this for every candidate.
CREATE INDEX alerts_article ON alerts (article_id);
