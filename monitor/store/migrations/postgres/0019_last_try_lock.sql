-- A write on its last try (decision 0056, "The last try cannot deadlock") holds the
-- exclusive ``wirewatch.stories.last-try`` lock from its first statement to its commit, so
-- nobody publishes meanwhile and its own publishing cannot be refused. Publishing takes that
-- lock shared without waiting, and is refused (serialization_failure: rolled back and
-- retried) when it cannot: a publisher holds story row locks from its write, and waiting for
-- a writer that waits for those rows would be a deadlock.
CREATE OR REPLACE FUNCTION wirewatch_publish_articles(mark bigint, ours text[], opens boolean)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    others boolean;
    newest bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(
        hashtextextended('wirewatch.stories.last-try:' || current_schema(), 0)
    ) THEN
        RAISE EXCEPTION 'another daemon is storing articles on its last try'
            USING ERRCODE = 'serialization_failure';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('wirewatch.stories:' || current_schema(), 0));
    SELECT EXISTS (
        SELECT 1 FROM articles WHERE seq > mark AND xmin <> pg_current_xact_id()::xid
    ) INTO others;
    IF others AND opens THEN
        RAISE EXCEPTION 'stories published by another daemon meanwhile'
            USING ERRCODE = 'serialization_failure';
    END IF;
    UPDATE articles SET seq = DEFAULT  -- those this transaction inserted, in their order
    WHERE article_id = ANY (ours) AND xmin = pg_current_xact_id()::xid;
    IF others THEN
        RETURN 0;
    END IF;
    SELECT coalesce(max(seq), 0) INTO newest FROM articles;
    RETURN newest;
END
$$;
