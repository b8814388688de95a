"""Storing an article with its story and alerts, and finding stored ones: the multi-statement
work both backends run, written once as :mod:`monitor.store.sql.steps`.

Story bookkeeping (docs/decisions/0006-story-grouping.md): an article that credits a
wire agency counts as that agency, and one whose lead is word for word the lead of an
earlier article in the story counts as that article's outlet. An article is known by
its (feed, GUID), else — if retention pruned it — by its tombstone, else by its
canonical link or its page's canonical address, else by its content fingerprint
(decisions 0015, 0030).
"""

# ruff: noqa: S608 - SQL here is built from constant fragments, never from input

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    MatchKind,
    StoryAlertState,
    Verdict,
    article_id,
)
from monitor.store.bodies import packed_body
from monitor.store.interface import ArticleRecord
from monitor.store.records import (
    LINK_COLUMNS,
    AlertPlanner,
    KnownArticle,
    StoryRecord,
    links_of,
)
from monitor.store.sql import rows
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.merges import merge_story
from monitor.store.sql.rows import Row
from monitor.store.sql.steps import (
    Steps,
    all_of,
    answer_of,
    asked,
    changed,
    each,
    first_of,
    rows_of,
    written,
)

_CHUNK = 500  # values per IN list: below SQLite's host parameter limit


def store_articles(
    dialect: Dialect, records: Sequence[ArticleRecord]
) -> Steps[list[list[AlertRecord]]]:
    """:func:`store_article` for each record, in order, in the caller's transaction; the
    alerts newly created by each. When no two records grow one story, every record is
    written first and the story states the planners need are asked for as each is
    written, then read together: in PostgreSQL's pipeline one round trip for the whole
    batch instead of one per article. Each state is still the story's right after its own
    article (no later record touches that story), and alerts go in after, in order."""
    stories = [decision.story_id for _, decision, _ in records]
    if len(set(stories)) < len(stories):  # a later article must see an earlier one's alerts
        return (yield from all_of(store_article(dialect, *record) for record in records))
    states: list[Any] = []
    for article, decision, alerts in records:
        yield from _store_row(dialect, article, decision)
        story = (decision.story_id,) * 3
        states.append((yield from asked(sql.ALERT_STATE, story)) if callable(alerts) else None)
    created = []
    for (_, decision, alerts), state in zip(records, states, strict=True):
        planned: Sequence[AlertRecord] = alerts if not callable(alerts) else []
        if callable(alerts):
            found = yield from answer_of(state)
            planned = alerts(_alert_state(decision.story_id, found))
        created.append((yield from _insert_alerts(dialect, planned)))
    return created


def store_article(
    dialect: Dialect,
    article: Article,
    decision: DedupDecision,
    alerts: Sequence[AlertRecord] | AlertPlanner,
) -> Steps[list[AlertRecord]]:
    """The article, its story's bookkeeping and its new alerts, in the caller's transaction.
    Only the alert planning reads (the story as it now stands), and only an alert written
    waits for its answer: the other statements go out without a round trip of their own."""
    yield from _store_row(dialect, article, decision)
    if callable(alerts):  # planned against the story as it now stands
        alerts = alerts((yield from story_alert_state(decision.story_id)))
    return (yield from _insert_alerts(dialect, alerts))


def _store_row(dialect: Dialect, article: Article, decision: DedupDecision) -> Steps[None]:
    """The article and its story's bookkeeping, no answer read."""
    yield from _record_story(dialect, article, decision)
    time, facts = dialect.time, decision.facts
    values = (article.article_id, decision.story_id, article.feed_url, article.feed_name,
              article.guid, article.link, article.title, article.summary,
              time(article.published), time(article.fetched_at), article.fingerprint,
              *_outlet(article, decision), facts.lead_fingerprint, packed_body(article.body),
              article.page_canonical, article.language, article.author,
              facts.page_lead or None, article.embedding or None)  # fmt: skip
    yield from written(sql.INSERT_ARTICLE, values)
    for absorbed in decision.absorbed:
        yield from merge_story(dialect, absorbed, decision.story_id, article)


def store_page(
    dialect: Dialect, article_id: str, body: str, alerts: AlertPlanner, language: str = ""
) -> Steps[list[AlertRecord] | None]:
    """A late page's text added to its stored article (with the ``language`` it reads as
    with it, unless ""), and the alerts ``alerts`` plans
    against the article's story as it stands; None when the article is not stored."""
    row = yield from first_of(sql.ARTICLE_STORY, (article_id,))
    if row is None:
        return None
    yield from changed(sql.ADD_BODY, (packed_body(body), language, article_id))
    planned = alerts((yield from story_alert_state(row["story_id"])))
    return (yield from _insert_alerts(dialect, planned))


def _record_story(dialect: Dialect, article: Article, decision: DedupDecision) -> Steps[None]:
    """Open or update the article's story, and count its outlet and names."""
    story_id, seen = decision.story_id, dialect.time(article.fetched_at)
    if decision.verdict is Verdict.NEW_STORY:
        yield from written(
            sql.INSERT_STORY, (story_id, article.article_id, article.title, seen, seen)
        )
    elif decision.verdict is Verdict.FOLDED:
        grew = int(decision.evidence == "update")
        yield from written(sql.TOUCH_STORY, (seen, grew, story_id))
    yield from written(sql.ADD_OUTLET, (story_id, *_outlet(article, decision)))
    facts = decision.facts
    names = [(name, "place") for name in facts.places] + [(n, "actor") for n in facts.actors]
    yield from each(sql.COUNT_NAME, [(story_id, name, kind) for name, kind in names])


def _outlet(article: Article, decision: DedupDecision) -> tuple[str, str, str]:
    """The values of ``statements._OUTLET``: the outlet of the story's first article with
    this one's lead, else the agency credited, else the feed."""
    own = decision.facts.outlet or article.feed_url
    return decision.story_id, decision.facts.lead_fingerprint, own


def _insert_alerts(dialect: Dialect, alerts: Sequence[AlertRecord]) -> Steps[list[AlertRecord]]:
    """Those of ``alerts`` newly created (an existing (story, rule, event) is skipped)."""
    created = []
    for alert in alerts:
        if (yield from insert_alert(dialect, alert)):
            created.append(alert)
    return created


def insert_alert(dialect: Dialect, alert: AlertRecord) -> Steps[bool]:
    """Insert the alert and its deliveries unless (story, rule, event) exists already."""
    stamp = dialect.time(alert.created_at)
    values = (alert.alert_id, alert.story_id, alert.article_id, alert.rule, alert.severity,
              dialect.json(list(alert.terms)), alert.event, stamp, alert.outlets,
              alert.reason)  # fmt: skip
    created = (yield from changed(sql.INSERT_ALERT, values)) > 0
    if created:
        deliveries = [(alert.alert_id, name, stamp, stamp) for name in alert.notifiers]
        yield from each(sql.INSERT_DELIVERY, deliveries)
    return created


def story_alert_state(story_id: str) -> Steps[StoryAlertState]:
    """The story's outlet count and what its earlier alerts reported, rule by rule."""
    found = yield from rows_of(sql.ALERT_STATE, (story_id,) * 3)
    return _alert_state(story_id, found)


def _alert_state(story_id: str, found: list[Row]) -> StoryAlertState:
    history = rows.histories(row for row in found if row["rule"] is not None)
    return StoryAlertState(story_id, int(found[0]["n"]) if found else 0, history)


def read_story(story_id: str) -> Steps[StoryRecord | None]:
    row = yield from first_of(sql.STORY, (story_id,))
    if row is None:
        return None
    outlets = yield from rows_of(sql.STORY_OUTLETS, (story_id,))
    names = yield from rows_of(sql.STORY_NAMES, (story_id,))
    return rows.story_record(row, (item["outlet"] for item in outlets), names)


def find_article(
    feed_url: str, guid: str, link: str, fingerprint: str, page_canonical: str = ""
) -> Steps[KnownArticle | None]:
    """By (feed, GUID), else its tombstone, else the first article holding one of its
    links (:func:`links_of`, in that order) as its link or page canonical, else the first
    with its content fingerprint."""
    if feed_url and guid:
        row = yield from first_of(sql.FIND_BY_GUID, (feed_url, guid))
        if row is not None:
            return rows.known_article(row, MatchKind.GUID)
    if guid and (pruned := (yield from first_of(sql.TOMBSTONE, (article_id(feed_url, guid),)))):
        # Before the link: the same feed's entry is seen, not news (decision 0015).
        return rows.pruned_article(feed_url, pruned["article_id"], pruned["story_id"])
    found = yield from _by_links(links_of(link, page_canonical))
    if found is not None or not fingerprint:
        return found
    row = yield from first_of(sql.FIND_FIRST_BY["fingerprint"], (fingerprint,))
    return rows.known_article(row, MatchKind.FINGERPRINT) if row is not None else None


def _by_links(urls: Sequence[str]) -> Steps[KnownArticle | None]:
    """The first article holding one of ``urls`` (the first found first) as its link or
    its page's canonical, that column first."""
    for url in urls:
        for column in LINK_COLUMNS:
            row = yield from first_of(sql.FIND_FIRST_BY[column], (url,))
            if row is not None:
                return rows.known_article(row, MatchKind.LINK)
    return None


def known_guids(dialect: Dialect, feed_url: str, guids: Sequence[str]) -> Steps[set[str]]:
    """Stored GUIDs of the feed, and those whose article retention pruned (its tombstone
    remains): its entry, still listed by the feed, is known too."""
    found: set[str] = set()
    for chunk in _chunks(dialect, guids):
        where = dialect.in_list("guid", len(chunk))
        statement = f"SELECT guid FROM articles WHERE feed_url = ? AND {where}"
        stored = yield from rows_of(statement, (feed_url, *dialect.list_values(chunk)))
        found.update(row["guid"] for row in stored)
    rest = {article_id(feed_url, guid): guid for guid in guids if guid not in found}
    for chunk in _chunks(dialect, list(rest)):
        where = dialect.in_list("article_id", len(chunk))
        statement = f"SELECT article_id FROM pruned_articles WHERE {where}"
        pruned = yield from rows_of(statement, dialect.list_values(chunk))
        found.update(rest[row["article_id"]] for row in pruned)
    return found


def latest_guids(dialect: Dialect, feed_url: str, limit: int) -> Steps[list[str]]:
    """The GUIDs of the feed's ``limit`` most recently stored articles, newest first."""
    statement = (
        f"SELECT guid FROM articles WHERE feed_url = ? ORDER BY {dialect.arrival} DESC LIMIT ?"
    )
    stored = yield from rows_of(statement, (feed_url, limit))
    return [str(row["guid"]) for row in stored]


def _chunks(dialect: Dialect, values: Sequence[str]) -> list[Sequence[str]]:
    """One array on PostgreSQL; pieces under SQLite's host parameter limit."""
    size = len(values) if dialect.lists_as_arrays else _CHUNK
    return [values[start : start + size] for start in range(0, len(values), size or 1)]
