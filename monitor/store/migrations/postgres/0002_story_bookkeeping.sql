-- wirewatch schema version 2 (PostgreSQL twin of ../0002_story_bookkeeping.sql): story
-- bookkeeping for grouping. Articles keep the content fingerprint, the outlet they count as
-- and the fingerprint of their lead.
ALTER TABLE articles ADD COLUMN fingerprint text NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN outlet text NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN lead_fingerprint text NOT NULL DEFAULT '';
CREATE INDEX articles_fingerprint ON articles (fingerprint) WHERE fingerprint <> '';
CREATE INDEX articles_lead ON articles (story_id, lead_fingerprint) WHERE lead_fingerprint <> '';
CREATE INDEX articles_fetched ON articles (fetched_at);

-- story_outlets now holds outlet keys (feed URL or "wire:<agency>"), not only feed URLs.
ALTER TABLE story_outlets RENAME COLUMN feed_url TO outlet;

-- The places and actors a story's articles named, with how many articles named each.
CREATE TABLE story_names (
    story_id  text NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    name      text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('place', 'actor')),
    mentions  integer NOT NULL DEFAULT 1,
    PRIMARY KEY (story_id, kind, name)
);

-- An update (a casualty count changed) is counted so a later alert can say the story grew.
ALTER TABLE stories ADD COLUMN updates integer NOT NULL DEFAULT 0;
