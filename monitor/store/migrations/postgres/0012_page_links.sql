-- wirewatch schema version 12 (PostgreSQL twin of ../0012_page_links.sql): an article's
-- page canonical address (a second dedup link, indexed), language and author.
ALTER TABLE articles ADD COLUMN page_canonical text NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN language text NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN author text NOT NULL DEFAULT '';
CREATE INDEX articles_page_canonical ON articles (page_canonical) WHERE page_canonical <> '';
