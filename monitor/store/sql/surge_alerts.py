"""Surge alerts in the outbox (docs/decisions/0044): queued with their surges in one
transaction, filed on each surge's top story, and read back with the surge's evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from monitor.records import SURGE_ALERT, AlertRecord
from monitor.store.records import DeliveryContext
from monitor.store.sql import articles, rows, surges
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.rows import Row
from monitor.store.sql.steps import Steps, each, first_of, rows_of
from monitor.surges import Surge


def store_surge_alerts(
    dialect: Dialect,
    fired: Sequence[Surge],
    alerts: Sequence[AlertRecord],
    cooldown: timedelta = timedelta(0),
) -> Steps[list[AlertRecord]]:
    """Keep ``fired`` and queue ``alerts`` on their stories' first articles; the alerts
    newly created (a surge or alert kept already is left as it is). A surge of a kind
    and key fired within ``cooldown`` already is dropped with its alert: daemons sharing
    a store each count part of the outlets, so each may fire it in a different window."""
    if cooldown > timedelta(0):
        yield from _lock_keys(dialect, fired)
    kept = []
    for surge in fired:
        if not (yield from _fired_lately(dialect, surge, cooldown)):
            kept.append(surge)
    yield from each(surges.RECORD_SURGE, [surges.surge_values(dialect, s) for s in kept])
    kept_alerts = {SURGE_ALERT + surge.surge_id for surge in kept}
    created = []
    for alert in alerts:
        if alert.alert_id not in kept_alerts:
            continue
        story = yield from first_of(sql.STORY, (alert.story_id,))
        if story is None:  # pruned meanwhile: nothing to file the alert on
            continue
        placed = replace(alert, article_id=story["first_article_id"])
        if (yield from articles.insert_alert(dialect, placed)):
            created.append(placed)
    return created


def _lock_keys(dialect: Dialect, fired: Sequence[Surge]) -> Steps[None]:
    """Hold each (kind, key) of ``fired`` until commit, so that another daemon's check of
    the same key waits for this transaction and then sees its surge (under READ COMMITTED
    both checks would see nothing and both alert). Sorted: two daemons never deadlock."""
    if not dialect.surge_lock:
        return
    for kind, key in sorted({(surge.kind.value, surge.key) for surge in fired}):
        yield from rows_of(dialect.surge_lock, (kind, key))


def _fired_lately(dialect: Dialect, surge: Surge, cooldown: timedelta) -> Steps[bool]:
    if cooldown <= timedelta(0):
        return False
    since = dialect.time(surge.fired_at - cooldown)
    values = (since, surge.kind.value, surge.key, surge.surge_id)
    return (yield from first_of(surges.FIRED_LATELY, values)) is not None


class _Prefixed:
    """A row's ``sg_`` columns under the names the surges table gives them."""

    def __init__(self, row: Row, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getitem__(self, key: str, /) -> Any:
        return self._row[self._prefix + key]


def delivery_context(row: Row) -> DeliveryContext:
    """A row of ``statements.DELIVERY_CONTEXT``, with its surge when it is a surge alert."""
    context = rows.delivery_context(row)
    if row["sg_surge_id"] is None:
        return context
    return replace(context, surge=surges.surge(_Prefixed(row, "sg_")))
