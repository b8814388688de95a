"""Story bookkeeping and article reads in PostgreSQL, the twin of ``monitor.store.sqlite.stories``
and ``monitor.store.sqlite.articles``.

``record_story`` runs inside ``PostgresStore``'s article transaction. Outlets are
counted as on SQLite (docs/decisions/0006-story-grouping.md): an article crediting
a wire agency counts as that agency; one whose lead is word for word an earlier
article's lead in the story counts as that article's outlet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.records import Article, DedupDecision, Verdict
from monitor.store.interface import StoredArticle, StoryRecord, WindowArticle
from monitor.store.postgres.schema import Connection

PageKey = tuple[datetime, str]  # (fetched_at, article_id) of the last article of a page


async def record_story(conn: Connection, article: Article, decision: DedupDecision) -> str:
    """Open or update the article's story; return the outlet the article counts as."""
    story_id, seen = decision.story_id, article.fetched_at
    if decision.verdict is Verdict.NEW_STORY:
        await conn.execute(_INSERT_STORY, (story_id, article.article_id, article.title, seen, seen))
    elif decision.verdict is Verdict.FOLDED:
        grew = int(decision.evidence == "update")
        await conn.execute(_TOUCH_STORY, (seen, grew, story_id))
    outlet = await _outlet(conn, article, decision)
    await conn.execute(_ADD_OUTLET, (story_id, outlet))
    facts = decision.facts
    names = [(name, "place") for name in facts.places] + [(n, "actor") for n in facts.actors]
    if names:
        async with conn.cursor() as cursor:
            await cursor.executemany(_COUNT_NAME, [(story_id, name, kind) for name, kind in names])
    return outlet


async def _outlet(conn: Connection, article: Article, decision: DedupDecision) -> str:
    fingerprint = decision.facts.lead_fingerprint
    if fingerprint:
        found = await conn.execute(_SAME_LEAD, (decision.story_id, fingerprint))
        row = await found.fetchone()
        if row is not None:
            return str(row["outlet"])
    return decision.facts.outlet or article.feed_url


async def read_story(conn: Connection, story_id: str) -> StoryRecord | None:
    row = await (await conn.execute(_STORY, (story_id,))).fetchone()
    if row is None:
        return None
    names = await (await conn.execute(_NAMES, (story_id,))).fetchall()
    return StoryRecord(
        story_id=row["story_id"],
        first_article_id=row["first_article_id"],
        title=row["title"],
        article_count=row["article_count"],
        updates=row["updates"],
        outlets=frozenset(await story_outlets(conn, story_id)),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        places=tuple(item["name"] for item in names if item["kind"] == "place"),
        actors=tuple(item["name"] for item in names if item["kind"] == "actor"),
    )


async def story_outlets(conn: Connection, story_id: str) -> frozenset[str]:
    sql = "SELECT outlet FROM story_outlets WHERE story_id = %s"
    return frozenset(
        row["outlet"] for row in await (await conn.execute(sql, (story_id,))).fetchall()
    )


async def recent_articles(conn: Connection, since: datetime) -> list[WindowArticle]:
    """Articles fetched since ``since``, oldest first, with their story's first article."""
    rows = await (await conn.execute(_RECENT_ARTICLES, (since,))).fetchall()
    return [
        WindowArticle(
            story_id=row["story_id"],
            first_article_id=row["first_article_id"],
            title=row["title"],
            summary=row["summary"],
            seen=min(row["published"] or row["fetched_at"], row["fetched_at"]),
        )
        for row in rows
    ]


async def articles_since(
    conn: Connection, since: datetime, after: PageKey | None, limit: int
) -> list[StoredArticle]:
    """One page keyed on (fetched_at, article_id): a page costs the same however deep."""
    start = after or (since, "")
    rows = await (await conn.execute(_PAGE, (since, *start, limit))).fetchall()
    return [_stored(row) for row in rows]


async def count_articles_since(conn: Connection, since: datetime) -> int:
    sql = "SELECT count(*) AS n FROM articles WHERE fetched_at >= %s"
    row = await (await conn.execute(sql, (since,))).fetchone()
    return int(row["n"]) if row else 0


def _stored(row: dict[str, Any]) -> StoredArticle:
    story_id = row.pop("story_id")
    return StoredArticle(Article(**row, content=""), story_id)


_INSERT_STORY = """
INSERT INTO stories (story_id, first_article_id, title, first_seen, last_seen)
VALUES (%s, %s, %s, %s, %s)
"""
_TOUCH_STORY = """
UPDATE stories SET article_count = article_count + 1, last_seen = greatest(last_seen, %s),
                   updates = updates + %s
WHERE story_id = %s
"""
_ADD_OUTLET = "INSERT INTO story_outlets (story_id, outlet) VALUES (%s, %s) ON CONFLICT DO NOTHING"
_SAME_LEAD = """
SELECT outlet FROM articles
WHERE story_id = %s AND lead_fingerprint = %s AND outlet <> ''
ORDER BY fetched_at, seq LIMIT 1
"""
_COUNT_NAME = """
INSERT INTO story_names (story_id, name, kind) VALUES (%s, %s, %s)
ON CONFLICT (story_id, kind, name) DO UPDATE SET mentions = story_names.mentions + 1
"""
_STORY = """
SELECT story_id, first_article_id, title, article_count, updates, first_seen, last_seen
FROM stories WHERE story_id = %s
"""
_NAMES = """
SELECT name, kind FROM story_names WHERE story_id = %s ORDER BY mentions DESC, name COLLATE "C"
"""
_RECENT_ARTICLES = """
SELECT a.story_id, s.first_article_id, a.title, a.summary, a.published, a.fetched_at
FROM articles a JOIN stories s USING (story_id)
WHERE a.fetched_at >= %s
ORDER BY a.fetched_at, a.seq
"""
# COLLATE "C" on article_id: the page order and the (fetched_at, article_id) comparison
# agree with each other and with SQLite's byte order.
_PAGE = """
SELECT article_id, story_id, feed_url, feed_name, guid, link, title, summary, published,
       fetched_at
FROM articles
WHERE fetched_at >= %s AND (fetched_at, article_id COLLATE "C") > (%s, %s)
ORDER BY fetched_at, article_id COLLATE "C"
LIMIT %s
"""
