-- wirewatch schema version 13 (PostgreSQL twin of ../0013_page_leads.sql): the lead
-- paragraph of an article's page that story grouping used; NULL when it used the summary's.
ALTER TABLE articles ADD COLUMN page_lead text;
