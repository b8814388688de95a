"""What ``PostgresStore`` runs inside one article transaction: the article, its story's
bookkeeping and its alerts; and the reads that need the same connection.

Outlets are counted as on SQLite (docs/decisions/0006-story-grouping.md); the SQL and
the row mappers are the shared ones (``monitor.store.sql``), rendered once here.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.records import AlertRecord, Article, DedupDecision, StoryAlertState, Verdict
from monitor.store.postgres.schema import Connection
from monitor.store.records import AlertPlanner, StoryRecord
from monitor.store.sql import rows
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import POSTGRES

_render = POSTGRES.render
_INSERT_ARTICLE = _render(sql.INSERT_ARTICLE)
_INSERT_STORY = _render(sql.INSERT_STORY)
_TOUCH_STORY = _render(sql.touch_story(POSTGRES))
_ADD_OUTLET = _render(sql.ADD_OUTLET)
_COUNT_NAME = _render(sql.COUNT_NAME)
_SAME_LEAD = _render(sql.same_lead(POSTGRES))
_INSERT_ALERT = _render(sql.INSERT_ALERT)
_INSERT_DELIVERY = _render(sql.INSERT_DELIVERY)
_OUTLET_COUNT = _render(sql.OUTLET_COUNT)
_HISTORY = _render(sql.HISTORY)
_STORY = _render(sql.STORY)
_STORY_OUTLETS = _render(sql.STORY_OUTLETS)
_STORY_NAMES = _render(sql.story_names(POSTGRES))


async def store_article(
    conn: Connection,
    article: Article,
    decision: DedupDecision,
    alerts: Sequence[AlertRecord] | AlertPlanner,
) -> list[AlertRecord]:
    """The article, its story's bookkeeping and its new alerts, in the caller's transaction."""
    outlet = await record_story(conn, article, decision)
    values = (article.article_id, decision.story_id, article.feed_url, article.feed_name,
              article.guid, article.link, article.title, article.summary, article.published,
              article.fetched_at, article.fingerprint, outlet,
              decision.facts.lead_fingerprint)  # fmt: skip
    await conn.execute(_INSERT_ARTICLE, values)
    if callable(alerts):  # planned against the story as it now stands
        alerts = alerts(await story_alert_state(conn, decision.story_id))
    return [alert for alert in alerts if await insert_alert(conn, alert)]


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


async def insert_alert(conn: Connection, alert: AlertRecord) -> bool:
    """Insert the alert and its deliveries unless (story, rule, event) exists already."""
    values = (alert.alert_id, alert.story_id, alert.article_id, alert.rule, alert.severity,
              POSTGRES.json(list(alert.terms)), alert.event, alert.created_at, alert.outlets,
              alert.reason)  # fmt: skip
    created = (await conn.execute(_INSERT_ALERT, values)).rowcount > 0
    if created and alert.notifiers:
        stamp = alert.created_at
        deliveries = [(alert.alert_id, name, stamp, stamp) for name in alert.notifiers]
        async with conn.cursor() as cursor:
            await cursor.executemany(_INSERT_DELIVERY, deliveries)
    return created


async def story_alert_state(conn: Connection, story_id: str) -> StoryAlertState:
    """The story's outlet count and what its earlier alerts reported, rule by rule."""
    counted = await (await conn.execute(_OUTLET_COUNT, (story_id,))).fetchone()
    history = rows.histories(await (await conn.execute(_HISTORY, (story_id,))).fetchall())
    return StoryAlertState(story_id, int(counted["n"]) if counted else 0, history)


async def read_story(conn: Connection, story_id: str) -> StoryRecord | None:
    row = await (await conn.execute(_STORY, (story_id,))).fetchone()
    if row is None:
        return None
    outlets = await (await conn.execute(_STORY_OUTLETS, (story_id,))).fetchall()
    names = await (await conn.execute(_STORY_NAMES, (story_id,))).fetchall()
    return rows.story_record(row, (item["outlet"] for item in outlets), names)
