-- wirewatch schema version 21: a feed's latest stored GUIDs (the parse worker's hint, read on
-- each feed's first poll after start) are read newest first off an index on feed_url, whose
-- entries are in rowid order within a feed, instead of sorting every article of the feed.
CREATE INDEX articles_feed_arrival ON articles (feed_url);
