-- wirewatch schema version 20: the languages the store's articles are in, read by the
-- status page's language filter one index probe per language (a loose index scan), not by
-- reading every article.
CREATE INDEX articles_language ON articles (language);
