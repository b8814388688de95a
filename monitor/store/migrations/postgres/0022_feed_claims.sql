-- wirewatch schema version 22: a claim names the daemon's feeds by the id of a feed set
-- published once (at start and on a reload), not by sending every URL with each claim, and
-- it walks the due feeds in claim order and stops at the batch, whatever the planner's
-- statistics say, and neither a claim nor a release waits for its commit to reach the disk
-- (docs/decisions/0063-small-claims.md).
--
-- A feed set is immutable and named by a digest of its sorted URLs, so daemons with the
-- same feeds share one. Sets published more than a day ago are dropped by the next
-- daemon that publishes one; a daemon whose set is gone is told so by its next claim
-- (SQLSTATE WW001) and publishes it again.
CREATE TABLE feed_set_names (
    set_id      text PRIMARY KEY,
    published   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE feed_sets (
    set_id      text NOT NULL REFERENCES feed_set_names (set_id) ON DELETE CASCADE,
    url         text NOT NULL,
    PRIMARY KEY (set_id, url)
);

-- Due feeds in claim order: never polled first, then by next poll, ties by a hash of the
-- URL (one host's feeds spread over the batch). One range on one index: a claim reads the
-- due rows it takes (and the leased or foreign ones before them), never the whole table.
DROP INDEX feeds_claim_order;
CREATE INDEX feeds_claim_walk ON feeds ((coalesce(next_poll, '-infinity'::timestamptz)), md5(url))
    WHERE disabled IS NULL;

-- The plan is pinned by the function's settings: an ordered walk of feeds_claim_walk with
-- a key lookup per row in feed_sets, stopped at ``room`` rows. Without them a table never
-- analysed (no autovacuum) was planned as a bitmap scan and a sort of every due feed:
-- 12 ms a claim at 2,000 due feeds against well under 1 ms for the walk.
--
-- A lease is not worth a disk flush: a claim or a release that a server crash loses (the
-- last few hundred milliseconds at most; the server stays consistent) costs one repeated
-- poll of a feed, which stores nothing twice (articles are unique per feed and GUID,
-- alerts per story, rule and event). Waiting for the flush cost each claim, one at a time
-- per daemon, several milliseconds. So both commit without waiting for it
-- (synchronous_commit off for their transaction alone); every other write still waits.
CREATE FUNCTION wirewatch_claim_feeds(
    claimant text, feed_set text, room integer, lease double precision
) RETURNS SETOF feeds
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    IF NOT EXISTS (SELECT 1 FROM feed_set_names WHERE set_id = feed_set) THEN
        RAISE EXCEPTION 'feed set % is not published', feed_set USING ERRCODE = 'WW001';
    END IF;
    RETURN QUERY
    WITH due AS (
        SELECT f.url FROM feeds f
        WHERE f.disabled IS NULL
          AND coalesce(f.next_poll, '-infinity'::timestamptz) <= now()
          AND (f.lease_expires IS NULL OR f.lease_expires <= now())
          AND EXISTS (SELECT 1 FROM feed_sets s WHERE s.set_id = feed_set AND s.url = f.url)
        ORDER BY coalesce(f.next_poll, '-infinity'::timestamptz), md5(f.url)
        LIMIT room
        FOR UPDATE OF f SKIP LOCKED
    )
    UPDATE feeds f
    SET lease_owner = claimant, lease_expires = now() + make_interval(secs => lease)
    FROM due WHERE f.url = due.url
    RETURNING f.*;
END
$$;

CREATE FUNCTION wirewatch_release_feed(
    feed_url text, claimant text, due timestamptz
) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE feeds SET lease_owner = NULL, lease_expires = NULL,
                     next_poll = coalesce(due, next_poll)
    WHERE url = feed_url AND lease_owner = claimant;
    RETURN FOUND;
END
$$;
