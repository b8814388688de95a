-- wirewatch schema version 2: story bookkeeping for grouping (issue #4).
-- Articles keep the content fingerprint (same entry under a new GUID), the outlet they
-- count as (a wire agency for syndicated copies, else the feed URL) and the fingerprint
-- of their lead (verbatim copies of one text count as one outlet).
ALTER TABLE articles ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN outlet TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN lead_fingerprint TEXT NOT NULL DEFAULT '';
CREATE INDEX articles_fingerprint ON articles (fingerprint) WHERE fingerprint <> '';
CREATE INDEX articles_lead ON articles (story_id, lead_fingerprint) WHERE lead_fingerprint <> '';
CREATE INDEX articles_fetched ON articles (fetched_at);

-- story_outlets now holds outlet keys (feed URL or "wire:<agency>"), not only feed URLs.
ALTER TABLE story_outlets RENAME COLUMN feed_url TO outlet;

-- The places and actors a story's articles named, with how many articles named each.
CREATE TABLE story_names (
    story_id  TEXT NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('place', 'actor')),
    mentions  INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (story_id, kind, name)
) WITHOUT ROWID;

-- An update (a casualty count changed) is counted so a later alert can say the story grew.
ALTER TABLE stories ADD COLUMN updates INTEGER NOT NULL DEFAULT 0;
