-- wirewatch schema version 21: a feed's latest stored GUIDs (the parse worker's hint, read on
-- each feed's first poll after start) are read newest first, backwards along this index,
-- instead of sorting every article of the feed. Plain CREATE INDEX: it blocks writes to
-- articles while it builds (see the CHANGELOG's upgrade note).
CREATE INDEX articles_feed_arrival ON articles (feed_url, seq);
