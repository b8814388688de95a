"""PostgreSQL feed claims (decision 0063): a claim names the daemon's feeds by a published
feed set, reads only the due rows it takes however many are due, on a table never
analysed, and neither a claim nor a release waits for its commit to reach the disk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest
from psycopg.rows import dict_row

from monitor.store.postgres.store import PostgresStore
from monitor.store.records import FeedSet
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

URLS = [f"https://feeds.example/{n:04d}.xml" for n in range(400)]
ROOM = 8
# Rows of ``feeds`` one claim may read: those it takes and their lookups by key, and
# the ones the walk passes (none here: nothing is leased). The old claim read every due row.
READ_AT_MOST = 4 * ROOM
_READ = """
SELECT seq_scan, coalesce(idx_tup_fetch, 0) AS fetched FROM pg_stat_xact_user_tables
WHERE relid = 'feeds'::regclass
"""


@pytest.fixture
async def store() -> AsyncIterator[tuple[PostgresStore, str]]:
    async with postgres_schema() as url:
        opened = PostgresStore(url, max_size=2)
        await opened.open()
        await opened.publish_feeds(URLS)
        yield opened, url
        await opened.close()


async def test_a_claim_reads_the_feeds_it_takes_not_every_due_one(
    store: tuple[PostgresStore, str],
) -> None:
    """400 feeds due, never analysed: the claim walks the claim-order index and stops."""
    opened, url = store
    feeds = FeedSet(URLS)
    await opened.claim_due("warm", 1, 60, feeds)  # publishes the set
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        last = "SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables"
        analysed = await (await conn.execute(f"{last} WHERE relname = 'feeds'")).fetchone()
        assert analysed == {"last_analyze": None, "last_autoanalyze": None}
        claim = "SELECT url FROM wirewatch_claim_feeds('a', %s, %s, 60)"
        taken = await (await conn.execute(claim, (feeds.set_id, ROOM))).fetchall()
        read = await (await conn.execute(_READ)).fetchone()
    assert len(taken) == ROOM
    assert read is not None
    assert read["seq_scan"] == 0
    assert read["fetched"] <= READ_AT_MOST


async def test_claims_and_releases_do_not_wait_for_the_disk_and_others_still_do(
    store: tuple[PostgresStore, str],
) -> None:
    opened, url = store
    feeds = FeedSet(URLS[:1])
    await opened.claim_due("warm", 0, 60, feeds)  # publishes the set, claims nothing
    sync = "SELECT current_setting('synchronous_commit') AS mode"
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        before = await (await conn.execute(sync)).fetchone()
        await conn.execute("SELECT * FROM wirewatch_claim_feeds('a', %s, 1, 60)", (feeds.set_id,))
        claimed = await (await conn.execute(sync)).fetchone()
        await conn.commit()
        await conn.execute("SELECT wirewatch_release_feed(%s, 'a', NULL)", (URLS[0],))
        released = await (await conn.execute(sync)).fetchone()
        await conn.commit()
        after = await (await conn.execute(sync)).fetchone()
    assert before == after == {"mode": "on"}
    assert claimed == released == {"mode": "off"}


async def test_a_feed_set_dropped_meanwhile_is_published_again_by_the_next_claim(
    store: tuple[PostgresStore, str],
) -> None:
    """Another daemon drops sets nobody published for a day; a daemon still claiming
    with one is told so and publishes it again, in the same claim."""
    opened, url = store
    feeds = FeedSet(URLS[:3])
    assert len(await opened.claim_due("a", 1, 60, feeds)) == 1
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("DELETE FROM feed_set_names")
    assert len(await opened.claim_due("a", 5, 60, feeds)) == 2
    with pytest.raises(psycopg.Error) as unknown:
        await opened._claim("a", 1, 60, FeedSet(URLS[3:4]))
    assert unknown.value.sqlstate == "WW001"


async def test_daemons_with_the_same_feeds_share_one_set_and_stale_sets_go(
    store: tuple[PostgresStore, str],
) -> None:
    opened, url = store
    other = PostgresStore(url, max_size=2)
    await other.open()
    try:
        await opened.claim_due("a", 0, 60, FeedSet(URLS[:5]))
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("UPDATE feed_set_names SET published = now() - interval '2 days'")
            await other.claim_due("b", 0, 60, FeedSet(reversed(URLS[5:10])))
            await other.claim_due("b", 0, 60, FeedSet(URLS[9:4:-1]))  # the same set again
            sets = await (await conn.execute("SELECT set_id FROM feed_set_names")).fetchall()
            urls = await (await conn.execute("SELECT count(*) FROM feed_sets")).fetchone()
    finally:
        await other.close()
    assert sets == [(FeedSet(URLS[5:10]).set_id,)]
    assert urls == (5,)
