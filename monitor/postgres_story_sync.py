"""PostgreSQL: story decisions that hold across daemons sharing one database.

Each daemon groups articles into stories with its own in-memory index
(``monitor.story_index``), which does not see the stories other daemons open. So:

- every transaction storing articles first takes one advisory lock (transaction-level),
  so article writes are serialised across daemons and ``articles.seq`` grows in commit
  order;
- before a batch is decided (its exact-match lookup) and again inside the locked write,
  the articles other daemons stored since this daemon last looked (``seq`` beyond its
  mark) are added to its index (:class:`StoryWatch`);
- if one of them tells a story this write is about to open anew, the write is refused
  with :class:`StoryConflictError`: nothing is stored, the index is rebuilt and the
  feed's next poll folds the article into that story (docs/decisions/0017-leases.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from monitor.models import Article, DedupDecision
from monitor.postgres_schema import Connection
from monitor.store import WindowArticle

_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtextextended('wirewatch.stories:' || current_schema(), 0))"
)
_MARK = "SELECT coalesce(max(seq), 0) AS seq FROM articles"
_SINCE = """
SELECT a.seq, a.story_id, s.first_article_id, a.title, a.summary, a.published, a.fetched_at
FROM articles a JOIN stories s USING (story_id)
WHERE a.seq > %s
ORDER BY a.seq
"""


class StoryConflictError(RuntimeError):
    """Another daemon opened the story an article of this write would open: not stored."""


class StoryWatch(Protocol):
    """The daemon's story index, told about articles other daemons stored."""

    def learn(self, articles: Sequence[WindowArticle]) -> None: ...

    def conflicts(
        self, articles: Sequence[WindowArticle], records: Sequence[tuple[Article, DedupDecision]]
    ) -> bool: ...


class StorySync:
    """The ``seq`` mark up to which this daemon's index has seen stored articles."""

    def __init__(self) -> None:
        self.watch: StoryWatch | None = None
        self.mark = 0

    async def start(self, conn: Connection) -> None:
        """Before the index is warmed: articles stored from here on are read again."""
        row = await (await conn.execute(_MARK)).fetchone()
        self.mark = max(self.mark, int(row["seq"]) if row else 0)

    async def catch_up(self, conn: Connection) -> list[WindowArticle]:
        """Articles stored since the mark, added to the index; the mark moves past them."""
        if self.watch is None:
            return []
        rows = await (await conn.execute(_SINCE, (self.mark,))).fetchall()
        if not rows:
            return []
        self.mark = max(self.mark, *(int(row["seq"]) for row in rows))
        found = [_window_article(row) for row in rows]
        self.watch.learn(found)
        return found

    async def before_write(
        self, conn: Connection, records: Sequence[tuple[Article, DedupDecision]]
    ) -> None:
        """Inside the storing transaction: take the stories lock, catch up, and refuse a
        write that would open a story another daemon has just opened."""
        await conn.execute(_LOCK)
        found = await self.catch_up(conn)
        if found and self.watch is not None and self.watch.conflicts(found, records):
            raise StoryConflictError("another daemon opened this story meanwhile; retried")

    async def after_write(self, conn: Connection) -> None:
        """Still under the lock: nothing stored by others since ``before_write``."""
        if self.watch is not None:
            await self.start(conn)


def _window_article(row: dict[str, Any]) -> WindowArticle:
    fetched: datetime = row["fetched_at"]
    published: datetime = row["published"] or fetched
    return WindowArticle(
        story_id=str(row["story_id"]),
        first_article_id=str(row["first_article_id"]),
        title=str(row["title"]),
        summary=str(row["summary"]),
        seen=min(published, fetched),
    )
