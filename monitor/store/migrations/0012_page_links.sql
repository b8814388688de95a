-- wirewatch schema version 12: what an article's page said about itself. page_canonical:
-- the page's canonical address (normalised, trusted, and unlike the entry's link; '' when
-- none), a second link exact dedup finds the article by; language and author ('' unknown).
ALTER TABLE articles ADD COLUMN page_canonical TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN author TEXT NOT NULL DEFAULT '';
CREATE INDEX articles_page_canonical ON articles (page_canonical) WHERE page_canonical <> '';
