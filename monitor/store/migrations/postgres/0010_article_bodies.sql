-- wirewatch schema version 10 (PostgreSQL twin of ../0010_article_bodies.sql): the text of
-- an article's page, zlib-compressed; NULL when no page was read.
ALTER TABLE articles ADD COLUMN body bytea;
