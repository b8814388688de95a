-- wirewatch schema version 23: stories merged into an older piece of their event
-- (docs/decisions/0070-where-recall-is-lost.md). A report whose words reach two stories
-- that tell one event merges the newer into the older (the survivor): the absorbed
-- story's articles, outlets and names move to the survivor in the bridging article's
-- transaction; its row, alerts and threads stay, so its id keeps answering (with the
-- survivor). ``article_id`` is the bridging article: a warm-up, a snapshot's replay and
-- another daemon's index learn the merge from it. ``stories.merged_into`` says the same on
-- the absorbed story's row, which a write growing that story locks (and so reads anew).
ALTER TABLE stories ADD COLUMN merged_into TEXT;
CREATE TABLE story_merges (
    absorbed_id  TEXT PRIMARY KEY REFERENCES stories (story_id) ON DELETE CASCADE,
    survivor_id  TEXT NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    article_id   TEXT NOT NULL,
    merged_at    TEXT NOT NULL
);
CREATE INDEX story_merges_article ON story_merges (article_id);
CREATE INDEX story_merges_survivor ON story_merges (survivor_id);
