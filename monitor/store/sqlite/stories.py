"""Story bookkeeping in SQLite: run inside ``SqliteStore``'s transactions, on its thread.

A story carries its first article, article count, first/last seen, the distinct
outlets that reported it and the places and actors its articles named. Outlets are
counted so that syndicated copies of one agency's text count once
(docs/decisions/0006-story-grouping.md): an article that credits a wire agency
counts as that agency, and one whose lead is word for word the lead of an earlier
article in the story counts as that article's outlet.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from monitor.records import Article, DedupDecision, Verdict
from monitor.store.interface import StoryRecord, WindowArticle


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def record_story(db: sqlite3.Connection, article: Article, decision: DedupDecision) -> str:
    """Open or update the article's story; return the outlet the article counts as."""
    if decision.verdict is Verdict.NEW_STORY:
        seen = _iso(article.fetched_at)
        db.execute(
            _INSERT_STORY, (decision.story_id, article.article_id, article.title, seen, seen)
        )
    elif decision.verdict is Verdict.FOLDED:
        grew = int(decision.evidence == "update")
        db.execute(_TOUCH_STORY, (_iso(article.fetched_at), grew, decision.story_id))
    outlet = _outlet(db, article, decision)
    db.execute("INSERT OR IGNORE INTO story_outlets VALUES (?, ?)", (decision.story_id, outlet))
    facts = decision.facts
    names = [(name, "place") for name in facts.places] + [(n, "actor") for n in facts.actors]
    for name, kind in names:
        db.execute(_COUNT_NAME, (decision.story_id, name, kind))
    return outlet


def _outlet(db: sqlite3.Connection, article: Article, decision: DedupDecision) -> str:
    fingerprint = decision.facts.lead_fingerprint
    if fingerprint:
        row = db.execute(_SAME_LEAD, (decision.story_id, fingerprint)).fetchone()
        if row is not None:
            return str(row[0])
    return decision.facts.outlet or article.feed_url


def read_story(db: sqlite3.Connection, story_id: str) -> StoryRecord | None:
    row = db.execute(_STORY, (story_id,)).fetchone()
    if row is None:
        return None
    outlets = db.execute("SELECT outlet FROM story_outlets WHERE story_id = ?", (story_id,))
    names = db.execute(_NAMES, (story_id,)).fetchall()
    return StoryRecord(
        story_id=row["story_id"],
        first_article_id=row["first_article_id"],
        title=row["title"],
        article_count=row["article_count"],
        updates=row["updates"],
        outlets=frozenset(outlet for (outlet,) in outlets),
        first_seen=datetime.fromisoformat(row["first_seen"]),
        last_seen=datetime.fromisoformat(row["last_seen"]),
        places=tuple(name for name, kind in names if kind == "place"),
        actors=tuple(name for name, kind in names if kind == "actor"),
    )


def recent_articles(db: sqlite3.Connection, since: datetime) -> list[WindowArticle]:
    """Articles fetched since ``since``, oldest first, with their story's first article."""
    rows = db.execute(_RECENT_ARTICLES, (_iso(since),)).fetchall()
    return [
        WindowArticle(
            story_id=row["story_id"],
            first_article_id=row["first_article_id"],
            title=row["title"],
            summary=row["summary"],
            seen=_seen(row["published"], row["fetched_at"]),
        )
        for row in rows
    ]


def _seen(published: str | None, fetched_at: str) -> datetime:
    fetched = datetime.fromisoformat(fetched_at)
    if published is None:
        return fetched
    return min(datetime.fromisoformat(published), fetched)


_INSERT_STORY = """
INSERT INTO stories (story_id, first_article_id, title, first_seen, last_seen)
VALUES (?, ?, ?, ?, ?)
"""
_TOUCH_STORY = """
UPDATE stories SET article_count = article_count + 1, last_seen = max(last_seen, ?),
                   updates = updates + ?
WHERE story_id = ?
"""
_SAME_LEAD = """
SELECT outlet FROM articles
WHERE story_id = ? AND lead_fingerprint = ? AND outlet <> ''
ORDER BY fetched_at LIMIT 1
"""
_COUNT_NAME = """
INSERT INTO story_names (story_id, name, kind) VALUES (?, ?, ?)
ON CONFLICT (story_id, kind, name) DO UPDATE SET mentions = mentions + 1
"""
_STORY = """
SELECT story_id, first_article_id, title, article_count, updates, first_seen, last_seen
FROM stories WHERE story_id = ?
"""
_NAMES = """
SELECT name, kind FROM story_names WHERE story_id = ? ORDER BY mentions DESC, name
"""
_RECENT_ARTICLES = """
SELECT a.story_id, s.first_article_id, a.title, a.summary, a.published, a.fetched_at
FROM articles a JOIN stories s USING (story_id)
WHERE a.fetched_at >= ?
ORDER BY a.fetched_at, a.rowid
"""
