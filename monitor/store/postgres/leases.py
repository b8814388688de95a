"""PostgreSQL side of coordination between daemons sharing one database: feed leases and
housekeeping run by one daemon at a time (docs/decisions/0017-leases.md).

:class:`PostgresLeases` is mixed into ``PostgresStore`` and implements
:class:`monitor.store.interface.FeedLeases`. Every lease time is the database's clock (``now()``),
never a daemon's: daemons whose clocks disagree still agree on who holds a feed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from monitor.records import FeedState
from monitor.store.postgres.outbox import PostgresOutbox
from monitor.store.sql import rows

_FEED_LIST = ", ".join(f'f."{name}"' for name in rows.FEED_COLUMNS)  # "interval" is a keyword

# Due (by the database clock), not gone, and not leased (or its lease lapsed): locked rows
# are skipped, so daemons claiming at once each get feeds the others did not. Ties are
# broken by a hash, not the URL: a batch of one host's feeds would wait on its spacing.
# The daemon's feeds come as one newline-joined text, planned afresh each time (never
# prepared): only then does PostgreSQL hash the list. A prepared, generic plan compares
# every due row with every URL, 30 ms a claim at 2,000 feeds, and the claim loop waits.
_CLAIM = f"""
WITH due AS (
    SELECT url FROM feeds
    WHERE url = ANY(string_to_array(%(urls)s, E'\\n')) AND disabled IS NULL
      AND (next_poll IS NULL OR next_poll <= now())
      AND (lease_expires IS NULL OR lease_expires <= now())
    ORDER BY next_poll NULLS FIRST, md5(url)
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE feeds f
SET lease_owner = %(owner)s, lease_expires = now() + make_interval(secs => %(lease)s)
FROM due WHERE f.url = due.url
RETURNING {_FEED_LIST}, now() AS claimed_at
"""  # noqa: S608 (column names from the dataclass, never from input)
_RENEW = """
UPDATE feeds SET lease_expires = now() + make_interval(secs => ?)
WHERE url = ANY(?) AND lease_owner = ?
RETURNING url
"""
_RELEASE = """
UPDATE feeds SET lease_owner = NULL, lease_expires = NULL,
                 next_poll = coalesce(?, next_poll)
WHERE url = ? AND lease_owner = ?
"""
_PUBLISH = "INSERT INTO feeds (url) SELECT unnest(?::text[]) ORDER BY 1 ON CONFLICT DO NOTHING"
_LEASE_OWNERS = "SELECT url, lease_owner FROM feeds WHERE lease_expires > now()"
_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended(%s || current_schema(), 0)) AS held"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s || current_schema(), 0))"


class PostgresLeases(PostgresOutbox):
    """Feed leases and exclusive housekeeping for ``PostgresStore``."""

    def claim_as(self, owner: str, lease_seconds: float) -> None:
        """Name this daemon in the outbox deliveries it claims, for ``lease_seconds``."""
        self.claim_owner, self.claim_seconds = owner, lease_seconds

    async def publish_feeds(self, urls: Sequence[str]) -> None:
        """Every configured feed has a row, so any daemon may claim it (kept as it is)."""
        await self._execute(_PUBLISH, (sorted(urls),))

    async def claim_due(
        self, owner: str, limit: int, lease_seconds: float, urls: Iterable[str]
    ) -> list[tuple[FeedState, datetime]]:
        """Lease up to ``limit`` due feeds among ``urls`` to ``owner``: each with its stored
        state and the database's time of the claim."""
        listed = "\n".join(urls)  # feed URLs hold no control characters (FeedSettings)
        values = {"urls": listed, "limit": limit, "owner": owner, "lease": lease_seconds}
        async with self._connection() as conn:
            claimed = await (await conn.execute(_CLAIM, values, prepare=False)).fetchall()
        return [(rows.feed_state(row), row["claimed_at"]) for row in claimed]

    async def renew_leases(self, owner: str, urls: Sequence[str], lease_seconds: float) -> set[str]:
        """Extend ``owner``'s leases on ``urls`` (a lapsed one too, if nobody claimed the
        feed since); the URLs still held."""
        return {row["url"] for row in await self._rows(_RENEW, (lease_seconds, list(urls), owner))}

    async def release(self, owner: str, url: str, next_poll: datetime | None) -> bool:
        """Give the lease back with the feed's next poll; False when it was no longer ours."""
        return await self._execute(_RELEASE, (next_poll, url, owner)) > 0

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
