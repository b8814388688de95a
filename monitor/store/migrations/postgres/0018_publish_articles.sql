-- Articles are published under the stories lock in this one statement (decision 0056):
-- the lock is taken, the transaction's articles get their final ``seq`` (so ``seq`` grows
-- in commit order and a daemon's catch-up past its mark misses nothing), and a write that
-- opens a story is refused (serialization_failure: caught up and retried) when another
-- daemon published articles past ``mark`` that its decisions did not know. The caller
-- commits next; no client code runs while the lock is held. Returns the newest ``seq``
-- when nothing of others' lies between ``mark`` and these articles, else 0.
CREATE FUNCTION wirewatch_publish_articles(mark bigint, ours text[], opens boolean)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    others boolean;
    newest bigint;
BEGIN
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
