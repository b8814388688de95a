"""Two daemons' story indexes and articles for the PostgreSQL publishing tests: an index
that takes any story another daemon opened for the one it looks for, one that takes none,
an article record opening its own story or folded into one, what a schema stores, and a
story sync that lets a test act in the window where a publishing can be refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncCursor
from psycopg.rows import DictRow

from monitor.records.models import Article, DedupDecision, MatchKind, Verdict
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.schema import Connection
from monitor.store.postgres.store import PostgresStore
from monitor.store.postgres.story_sync import StorySync
from monitor.store.records import OpenedElsewhere, WindowArticle

__all__ = [
    "NOW",
    "Meanwhile",
    "Meddled",
    "Unrelated",
    "Watch",
    "article_record",
    "stored_articles",
]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Watch:
    """A story index that takes any story another daemon opened for the one it looks for."""

    def __init__(self) -> None:
        self.learned: list[WindowArticle] = []

    def learn(self, articles: Sequence[WindowArticle]) -> None:
        self.learned.extend(articles)

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]:
        found = {}
        for _, decision in records:
            for known in self.learned:
                if decision.verdict is Verdict.NEW_STORY and known.story_id != decision.story_id:
                    found[decision.story_id] = OpenedElsewhere(
                        known.story_id, known.first_article_id, MatchKind.RELATED, 0.9
                    )
        return found


class Unrelated(Watch):
    """A story index in which nothing another daemon opens is the story looked for."""

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]:
        return {}


def article_record(name: str, joins: str = "") -> ArticleRecord:
    """An article opening its own story, or folded into story ``joins``."""
    article = Article(
        article_id=f"a-{name}", feed_url=f"http://{name}/feed", feed_name=name,
        guid=f"g-{name}", title="Strikes on the port", link=f"http://{name}/1", summary="",
        content="", published=None, fetched_at=NOW,
    )  # fmt: skip
    if joins:
        folded = DedupDecision(Verdict.FOLDED, joins, "a-" + joins[2:], MatchKind.RELATED)
        return ArticleRecord(article, folded, [])
    return ArticleRecord(article, DedupDecision(Verdict.NEW_STORY, f"s-{name}"), [])


async def stored_articles(store: PostgresStore) -> dict[str, Any]:
    async with store._connection() as conn:
        found = await conn.execute("SELECT article_id, story_id, seq FROM articles ORDER BY seq")
        return {row["article_id"]: (row["story_id"], row["seq"]) for row in await found.fetchall()}


Meanwhile = Callable[[Connection, int], Awaitable[None]]


class Meddled(StorySync):
    """A story sync that runs ``meanwhile`` (the write's connection, its how-manieth
    settling) after each settling: in the window where a publishing can be refused."""

    def __init__(self, meanwhile: Meanwhile) -> None:
        super().__init__()
        self.meanwhile = meanwhile
        self.settled = self.begun = 0

    async def before_write(
        self, conn: Connection, records: Sequence[ArticleRecord]
    ) -> tuple[list[ArticleRecord], int]:
        self.begun += 1
        return await super().before_write(conn, records)

    async def settle(
        self,
        conn: Connection,
        records: Sequence[ArticleRecord],
        known: int,
        asked: AsyncCursor[DictRow] | None,
    ) -> int:
        known = await super().settle(conn, records, known, asked)
        self.settled += 1
        await self.meanwhile(conn, self.settled)
        return known
