-- wirewatch schema version 24 (PostgreSQL twin of ../0024_merged_tombstones.sql): a
-- pruned article's tombstone names the story its article is in now. A merge (0023,
-- docs/decisions/0070-where-recall-is-lost.md) moved the absorbed story's articles to the
-- survivor but left their tombstones naming the absorbed story, whose row may itself be
-- pruned later; a merge now moves them too, found by their story (the index), and those
-- left by earlier merges follow here.
CREATE INDEX pruned_articles_story ON pruned_articles (story_id);
UPDATE pruned_articles
SET story_id = (SELECT survivor_id FROM story_merges WHERE absorbed_id = pruned_articles.story_id)
WHERE story_id IN (SELECT absorbed_id FROM story_merges);
