"""Retention and statistics as one set of SQL for both backends.

Which rows retention may prune (what is kept and why: docs/decisions/0015-retention.md):
the cutoffs are bound by name (``:alerts``, ``:articles``, ``:stories``, ``:tombstones``);
each backend names the key it deletes by (SQLite's rowid, PostgreSQL's primary keys),
and PostgreSQL takes a batch ``FOR UPDATE SKIP LOCKED`` so daemons prune side by side.
"""

# ruff: noqa: S608 - SQL here is built from the constant fragments below, never from input

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from monitor.store.outbox import STATES
from monitor.store.records import PruneCutoffs
from monitor.store.retention import PRUNE_KINDS
from monitor.store.sql import rows
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.steps import Steps, first_of, rows_of

# No stored time is earlier: a kind without a cutoff is kept whole.
_KEEP_ALL = datetime.min.replace(tzinfo=UTC)
# Each kind's table, and its alias in the statements below.
_TABLES = {"alerts": ("alerts", "x"), "articles": ("articles", "a"), "stories": ("stories", "s"),
           "tombstones": ("pruned_articles", "t"), "surges": ("surges", "g")}  # fmt: skip

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


def bounds(
    dialect: Dialect, cutoffs: PruneCutoffs, limit: int = 0, now: datetime | None = None
) -> dict[str, Any]:
    """The named parameters of the pruning statements."""
    times = {kind: dialect.time(getattr(cutoffs, kind) or _KEEP_ALL) for kind in PRUNE_KINDS}
    return {**times, "limit": limit, "now": dialect.time(now)}


def candidates(kind: str, keys: Mapping[str, str], *, planned: bool) -> str:
    """The rows of ``kind`` a run prunes (their ``keys[kind]``), oldest first."""
    key = f"{_TABLES[kind][1]}.{keys[kind]}"
    if kind == "alerts":
        return f"""SELECT {key} FROM alerts x
            WHERE x.created_at < :alerts AND NOT {_ALERT_KEPT} ORDER BY x.created_at"""
    if kind == "articles":
        kept = _ARTICLE_KEPT_PLANNED if planned else _ARTICLE_KEPT
        return f"""SELECT {key} FROM articles a
            WHERE a.fetched_at < :articles AND NOT {kept} ORDER BY a.fetched_at"""
    if kind == "stories":
        kept = _STORY_KEPT_PLANNED if planned else _STORY_KEPT
        return f"""SELECT {key} FROM stories s
            WHERE s.last_seen < :stories AND NOT {kept} ORDER BY s.last_seen"""
    if kind == "surges":
        return f"""SELECT {key} FROM surges g WHERE g.fired_at < :surges ORDER BY g.fired_at"""
    return f"""SELECT {key} FROM pruned_articles t
        WHERE t.pruned_at < :tombstones ORDER BY t.pruned_at"""


def batch(kind: str, keys: Mapping[str, str]) -> str:
    """The next batch of ``kind`` to prune, ``:limit`` rows at most."""
    return f"{candidates(kind, keys, planned=False)} LIMIT :limit{{skip_locked}}"


def delete(kind: str, keys: Mapping[str, str]) -> str:
    """Prune one batch of ``kind``; deliveries, outlets, names and threads go by ON DELETE
    CASCADE."""
    return f"DELETE FROM {_TABLES[kind][0]} WHERE {keys[kind]} IN ({batch(kind, keys)})"


def count_prunable(keys: Mapping[str, str], values: dict[str, Any]) -> Steps[dict[str, int]]:
    """How many rows of each kind a run would prune, once its earlier steps are done."""
    counts = {}
    for kind in PRUNE_KINDS:
        statement = f"SELECT count(*) AS n FROM ({candidates(kind, keys, planned=True)}) c"
        counts[kind] = int((yield from rows_of(statement, values))[0]["n"])
    return counts


def contents() -> Steps[dict[str, Any]]:
    """What ``DatabaseStats`` reports of the rows, alike on both backends."""
    counts = {}
    for table in sql.TABLES:
        counts[table] = int((yield from rows_of(f"SELECT count(*) AS n FROM {table}"))[0]["n"])
    alerts = yield from _grouped(sql.ALERTS_BY_STATE, ("pending", "done"))
    deliveries = yield from _grouped(sql.DELIVERY_COUNTS, STATES)
    span = yield from first_of(sql.ARTICLE_SPAN)
    bodies = yield from first_of(sql.BODY_SIZES)
    assert span is not None  # an aggregate always returns a row
    assert bodies is not None
    return {
        "rows": counts,
        "alerts_by_state": alerts,
        "deliveries_by_state": deliveries,
        "oldest_article": rows.moment(span["oldest"]),
        "newest_article": rows.moment(span["newest"]),
        "article_bodies": int(bodies["n"]),
        "article_body_bytes": int(bodies["size"]),
    }


def _grouped(statement: str, states: tuple[str, ...]) -> Steps[dict[str, int]]:
    counts = dict.fromkeys(states, 0)
    counts.update({str(row["state"]): int(row["n"]) for row in (yield from rows_of(statement))})
    return counts
