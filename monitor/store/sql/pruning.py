"""Which rows retention may prune, as one set of SQL fragments for both backends.

What is kept and why: docs/decisions/0015-retention.md. The cutoffs are bound by name
(``:alerts``, ``:articles``, ``:stories``, ``:tombstones``); each backend picks the key
it deletes by (SQLite's rowid, PostgreSQL's primary keys) and how it takes the batch.
"""

# ruff: noqa: S608 - SQL here is built from the constant fragments below, never from input

from __future__ import annotations

from collections.abc import Mapping

# An alert stays while it is young, while its story is still active, or while any of its
# deliveries is pending (held and retrying deliveries are pending too).
_ALERT_KEPT = """(x.created_at >= :alerts
  OR EXISTS (SELECT 1 FROM stories xs
             WHERE xs.story_id = x.story_id AND xs.last_seen >= :alerts)
  OR EXISTS (SELECT 1 FROM deliveries xd
             WHERE xd.alert_id = x.alert_id AND xd.state = 'pending'))"""
# An article stays while an alert names it (the alert's message is built from it). The
# "planned" forms say what stays once this run's earlier steps are done (dry runs).
_ARTICLE_KEPT = "EXISTS (SELECT 1 FROM alerts x WHERE x.article_id = a.article_id)"
_ARTICLE_KEPT_PLANNED = f"""EXISTS (SELECT 1 FROM alerts x
  WHERE x.article_id = a.article_id AND {_ALERT_KEPT})"""
_STORY_KEPT = """(EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.story_id)
  OR EXISTS (SELECT 1 FROM alerts x WHERE x.story_id = s.story_id))"""
_STORY_KEPT_PLANNED = f"""(EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.story_id
    AND (a.fetched_at >= :articles OR {_ARTICLE_KEPT_PLANNED}))
  OR EXISTS (SELECT 1 FROM alerts x WHERE x.story_id = s.story_id AND {_ALERT_KEPT}))"""


def candidates(kind: str, keys: Mapping[str, str], *, planned: bool) -> str:
    """The rows of ``kind`` a run prunes (``keys[kind]`` selected), oldest first."""
    if kind == "alerts":
        return f"""SELECT {keys[kind]} FROM alerts x
            WHERE x.created_at < :alerts AND NOT {_ALERT_KEPT} ORDER BY x.created_at"""
    if kind == "articles":
        kept = _ARTICLE_KEPT_PLANNED if planned else _ARTICLE_KEPT
        return f"""SELECT {keys[kind]} FROM articles a
            WHERE a.fetched_at < :articles AND NOT {kept} ORDER BY a.fetched_at"""
    if kind == "stories":
        kept = _STORY_KEPT_PLANNED if planned else _STORY_KEPT
        return f"""SELECT {keys[kind]} FROM stories s
            WHERE s.last_seen < :stories AND NOT {kept} ORDER BY s.last_seen"""
    return f"""SELECT {keys[kind]} FROM pruned_articles t
        WHERE t.pruned_at < :tombstones ORDER BY t.pruned_at"""


def counted(kind: str, keys: Mapping[str, str]) -> str:
    """How many rows of ``kind`` a run would prune, once its earlier steps are done."""
    return f"SELECT count(*) AS n FROM ({candidates(kind, keys, planned=True)}) c"
