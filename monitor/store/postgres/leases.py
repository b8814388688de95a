"""PostgreSQL side of coordination between daemons sharing one database: feed leases and
housekeeping run by one daemon at a time (docs/decisions/0017-leases.md).

:class:`PostgresLeases` is mixed into ``PostgresStore`` and implements
:class:`monitor.store.interface.FeedLeases`. Every lease time is the database's clock (``now()``),
never a daemon's: daemons whose clocks disagree still agree on who holds a feed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import psycopg
from psycopg.rows import DictRow

from monitor.records import FeedState
from monitor.store.postgres.outbox import PostgresOutbox
from monitor.store.records import FeedSet
from monitor.store.sql import rows

# The daemon's feeds are named by a feed set published once (migration 0022); the claim
# function walks the due feeds in claim order and stops at ``limit`` (decision 0063).
_CLAIM = "SELECT *, now() AS claimed_at FROM wirewatch_claim_feeds(%s, %s, %s, %s)"
_SET_NAME = """
INSERT INTO feed_set_names (set_id) VALUES (%(set)s)
ON CONFLICT (set_id) DO UPDATE SET published = now()
RETURNING (xmax = 0) AS new
"""
_SET_URLS = "INSERT INTO feed_sets (set_id, url) SELECT %(set)s, unnest(%(urls)s::text[])"
# Sets another daemon published over a day ago and nobody published since: a daemon still
# claiming with one is told so (WW001) and publishes it again.
_SETS_STALE = """
DELETE FROM feed_set_names
WHERE published < now() - interval '1 day' AND set_id <> %(set)s
"""
_UNPUBLISHED_SET = "WW001"
_RENEW = """
UPDATE feeds SET lease_expires = now() + make_interval(secs => ?)
WHERE url = ANY(?) AND lease_owner = ?
RETURNING url
"""
_RELEASE = "SELECT wirewatch_release_feed(%s, %s, %s) AS held"
_PUBLISH = "INSERT INTO feeds (url) SELECT unnest(?::text[]) ORDER BY 1 ON CONFLICT DO NOTHING"
_LEASE_OWNERS = "SELECT url, lease_owner FROM feeds WHERE lease_expires > now()"
_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended(%s || current_schema(), 0)) AS held"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s || current_schema(), 0))"


class PostgresLeases(PostgresOutbox):
    """Feed leases and exclusive housekeeping for ``PostgresStore``."""

    _published_sets: set[str]  # feed set ids this store published (``PostgresStore``)

    def claim_as(self, owner: str, lease_seconds: float) -> None:
        """Name this daemon in the outbox deliveries it claims, for ``lease_seconds``."""
        self.claim_owner, self.claim_seconds = owner, lease_seconds

    async def publish_feeds(self, urls: Sequence[str]) -> None:
        """Every configured feed has a row, so any daemon may claim it (kept as it is)."""
        await self._execute(_PUBLISH, (sorted(urls),))

    async def claim_due(
        self, owner: str, limit: int, lease_seconds: float, feeds: FeedSet
    ) -> list[tuple[FeedState, datetime]]:
        """Lease up to ``limit`` due feeds of ``feeds`` to ``owner``: each with its stored
        state and the database's time of the claim. The set is published first when this
        store has not published it yet, or the database no longer has it."""
        if feeds.set_id not in self._published_sets:
            await self._publish_set(feeds)
        try:
            claimed = await self._claim(owner, limit, lease_seconds, feeds)
        except psycopg.Error as err:
            if err.sqlstate != _UNPUBLISHED_SET:
                raise
            await self._publish_set(feeds)  # dropped as stale by another daemon meanwhile
            claimed = await self._claim(owner, limit, lease_seconds, feeds)
        return [(rows.feed_state(row), row["claimed_at"]) for row in claimed]

    async def _claim(
        self, owner: str, limit: int, lease_seconds: float, feeds: FeedSet
    ) -> list[DictRow]:
        async with self._connection() as conn:
            query = await conn.execute(_CLAIM, (owner, feeds.set_id, limit, lease_seconds))
            return await query.fetchall()

    async def _publish_set(self, feeds: FeedSet) -> None:
        """``feeds`` under its id (its URLs once, by the first daemon naming it), and sets
        nobody published for a day dropped."""
        values = {"set": feeds.set_id, "urls": list(feeds.urls)}
        async with self._connection() as conn, conn.transaction():
            await conn.execute(_SETS_STALE, values)
            named = await (await conn.execute(_SET_NAME, values)).fetchone()
            if named and named["new"]:
                await conn.execute(_SET_URLS, values)
        self._published_sets.add(feeds.set_id)

    async def renew_leases(self, owner: str, urls: Sequence[str], lease_seconds: float) -> set[str]:
        """Extend ``owner``'s leases on ``urls`` (a lapsed one too, if nobody claimed the
        feed since); the URLs still held."""
        return {row["url"] for row in await self._rows(_RENEW, (lease_seconds, list(urls), owner))}

    async def release(self, owner: str, url: str, next_poll: datetime | None) -> bool:
        """Give the lease back with the feed's next poll; False when it was no longer ours."""
        async with self._connection() as conn:
            row = await (await conn.execute(_RELEASE, (url, owner, next_poll))).fetchone()
        return bool(row and row["held"])

    async def lease_owners(self) -> dict[str, str]:
        """Feed URL → the daemon holding its unexpired lease."""
        return {row["url"]: row["lease_owner"] for row in await self._rows(_LEASE_OWNERS)}

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """True inside when no other daemon holds ``name`` (a session advisory lock on one
        pooled connection, released after); False at once when another one does."""
        key = f"wirewatch.{name}:"
        async with self._connection() as conn:
            held = await (await conn.execute(_TRY_LOCK, (key,))).fetchone()
            if not held or not held["held"]:
                yield False
                return
            try:
                yield True
            finally:
                await conn.execute(_UNLOCK, (key,))
