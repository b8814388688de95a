-- wirewatch schema version 11: how often a feed's article pages were read, since the feed
-- was first polled: pages tried, pages that gave the article's text, and why the last one
-- that did not failed (a page outcome or extraction issue, as text; NULL: none yet).
ALTER TABLE feeds ADD COLUMN pages_tried INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN pages_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN page_last_issue TEXT;
