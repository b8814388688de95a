-- wirewatch schema version 14 (PostgreSQL twin of ../0014_article_embeddings.sql): each
-- article's headline embedding, 1,024 bytes; NULL when none was computed.
ALTER TABLE articles ADD COLUMN embedding bytea;
