"""What ``SqliteStore`` runs on its database thread as one piece: storing an article with
its story and alerts, and the lookups an article is decided with.

Story bookkeeping (docs/decisions/0006-story-grouping.md): an article that credits a
wire agency counts as that agency, and one whose lead is word for word the lead of an
earlier article in the story counts as that article's outlet. The SQL and the row
mappers are the shared ones (``monitor.store.sql``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    MatchKind,
    StoryAlertState,
    Verdict,
    article_id,
)
from monitor.store.records import AlertPlanner, KnownArticle, StoryRecord
from monitor.store.sql import rows
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import SQLITE

_CHUNK = 500  # parameters per IN list: below SQLite's host parameter limit
_TOUCH_STORY = sql.touch_story(SQLITE)
_SAME_LEAD = sql.same_lead(SQLITE)
_STORY_NAMES = sql.story_names(SQLITE)
_FIND_BY = {
    MatchKind.LINK: sql.find_first_by(SQLITE, "link"),
    MatchKind.FINGERPRINT: sql.find_first_by(SQLITE, "fingerprint"),
}
_time = SQLITE.time


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (the connection is autocommit)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def store_article(
    db: sqlite3.Connection,
    article: Article,
    decision: DedupDecision,
    alerts: Sequence[AlertRecord] | AlertPlanner,
) -> list[AlertRecord]:
    """The article, its story's bookkeeping and its new alerts, in the caller's transaction."""
    outlet = record_story(db, article, decision)
    values = (article.article_id, decision.story_id, article.feed_url, article.feed_name,
              article.guid, article.link, article.title, article.summary,
              _time(article.published), _time(article.fetched_at), article.fingerprint, outlet,
              decision.facts.lead_fingerprint)  # fmt: skip
    db.execute(sql.INSERT_ARTICLE, values)
    if callable(alerts):  # planned against the story as it now stands
        alerts = alerts(story_alert_state(db, decision.story_id))
    return [alert for alert in alerts if insert_alert(db, alert)]


def record_story(db: sqlite3.Connection, article: Article, decision: DedupDecision) -> str:
    """Open or update the article's story; return the outlet the article counts as."""
    story_id, seen = decision.story_id, _time(article.fetched_at)
    if decision.verdict is Verdict.NEW_STORY:
        db.execute(sql.INSERT_STORY, (story_id, article.article_id, article.title, seen, seen))
    elif decision.verdict is Verdict.FOLDED:
        db.execute(_TOUCH_STORY, (seen, int(decision.evidence == "update"), story_id))
    outlet = _outlet(db, article, decision)
    db.execute(sql.ADD_OUTLET, (story_id, outlet))
    facts = decision.facts
    names = [(name, "place") for name in facts.places] + [(n, "actor") for n in facts.actors]
    db.executemany(sql.COUNT_NAME, [(story_id, name, kind) for name, kind in names])
    return outlet


def _outlet(db: sqlite3.Connection, article: Article, decision: DedupDecision) -> str:
    fingerprint = decision.facts.lead_fingerprint
    if fingerprint:
        row = db.execute(_SAME_LEAD, (decision.story_id, fingerprint)).fetchone()
        if row is not None:
            return str(row["outlet"])
    return decision.facts.outlet or article.feed_url


def insert_alert(db: sqlite3.Connection, alert: AlertRecord) -> bool:
    """Insert the alert and its deliveries unless (story, rule, event) exists already."""
    stamp = _time(alert.created_at)
    created = db.execute(
        sql.INSERT_ALERT,
        (alert.alert_id, alert.story_id, alert.article_id, alert.rule, alert.severity,
         SQLITE.json(list(alert.terms)), alert.event, stamp, alert.outlets, alert.reason),
    ).rowcount  # fmt: skip
    for notifier in alert.notifiers if created else ():
        db.execute(sql.INSERT_DELIVERY, (alert.alert_id, notifier, stamp, stamp))
    return bool(created)


def story_alert_state(db: sqlite3.Connection, story_id: str) -> StoryAlertState:
    """The story's outlet count and what its earlier alerts reported, rule by rule."""
    outlets = db.execute(sql.OUTLET_COUNT, (story_id,)).fetchone()["n"]
    history = rows.histories(db.execute(sql.HISTORY, (story_id,)).fetchall())
    return StoryAlertState(story_id, int(outlets), history)


def read_story(db: sqlite3.Connection, story_id: str) -> StoryRecord | None:
    row = db.execute(sql.STORY, (story_id,)).fetchone()
    if row is None:
        return None
    outlets = [outlet for (outlet,) in db.execute(sql.STORY_OUTLETS, (story_id,))]
    return rows.story_record(row, outlets, db.execute(_STORY_NAMES, (story_id,)).fetchall())


def find_article(
    db: sqlite3.Connection, feed_url: str, guid: str, link: str, fingerprint: str
) -> KnownArticle | None:
    """By (feed, GUID), else its tombstone, else the first article with its link, else the
    first with its content fingerprint."""
    if feed_url and guid:
        row = db.execute(sql.FIND_BY_GUID, (feed_url, guid)).fetchone()
        if row is not None:
            return rows.known_article(row, MatchKind.GUID)
    if guid and (pruned := db.execute(sql.TOMBSTONE, (article_id(feed_url, guid),)).fetchone()):
        # Before the link: the same feed's entry is seen, not news (decision 0015).
        return rows.pruned_article(feed_url, pruned["article_id"], pruned["story_id"])
    for matched_by, key in ((MatchKind.LINK, link), (MatchKind.FINGERPRINT, fingerprint)):
        row = db.execute(_FIND_BY[matched_by], (key,)).fetchone() if key else None
        if row is not None:
            return rows.known_article(row, matched_by)
    return None


def known_guids(db: sqlite3.Connection, feed_url: str, guids: Sequence[str]) -> set[str]:
    """Stored GUIDs of the feed, and those whose article retention pruned (its tombstone
    remains), asked in chunks through the (feed_url, guid) unique index."""
    found: set[str] = set()
    for chunk in _chunks(guids):
        where = SQLITE.in_list("guid", len(chunk))
        statement = f"SELECT guid FROM articles WHERE feed_url = ? AND {where}"  # noqa: S608
        found.update(row[0] for row in db.execute(statement, (feed_url, *chunk)))
    rest = {article_id(feed_url, guid): guid for guid in guids if guid not in found}
    for chunk in _chunks(list(rest)):
        where = SQLITE.in_list("article_id", len(chunk))
        statement = f"SELECT article_id FROM pruned_articles WHERE {where}"  # noqa: S608
        found.update(rest[row[0]] for row in db.execute(statement, chunk))
    return found


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
