-- wirewatch schema version 25: publishing no longer gives way to the last-try lock of
-- version 19, which no daemon takes since decision 0088 (a refused publishing re-settles
-- from a savepoint instead). Otherwise as version 19: the stories lock, taken here alone
-- and released by the COMMIT sent with this statement; a write that opens a story refused
-- (serialization_failure) when another transaction's article was published past its mark.
-- Daemons from before decision 0088 must be stopped before this runs (docs/scaling.md,
-- decision 0088 "Upgrading").
CREATE OR REPLACE FUNCTION wirewatch_publish_articles(mark bigint, ours text[], opens boolean)
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
