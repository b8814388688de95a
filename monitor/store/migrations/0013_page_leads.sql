-- wirewatch schema version 13: the lead paragraph of an article's page that story grouping
-- used (docs/decisions/0033-page-leads.md), kept so that a restart rebuilds the story index
-- as it was without reading the compressed page texts; NULL when the article was grouped
-- with its summary's lead.
ALTER TABLE articles ADD COLUMN page_lead TEXT;
