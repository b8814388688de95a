-- wirewatch schema version 10: the text of an article's page (the article, when its feed
-- carried only a teaser), zlib-compressed; NULL when no page was read. Pruned with its row.
ALTER TABLE articles ADD COLUMN body BLOB;
