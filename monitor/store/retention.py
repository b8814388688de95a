"""Retention: old articles, stories and settled alerts pruned on a schedule, in small batches.

The daemon runs :func:`run_retention` every ``[retention] interval``; ``wirewatch db
prune`` runs it once. Each batch is one short transaction of the store, so polls and
dispatch never wait long behind it. What is kept, whatever its age: pending (held,
retrying) deliveries and their alerts, articles an alert names, stories with an article
or alert left, feed state, and the dedup window. Pruned articles leave a tombstone so a
feed still listing them does not raise their alerts again (docs/decisions/0015-retention.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from monitor.config import RetentionSettings
from monitor.store.records import PruneCutoffs

if TYPE_CHECKING:
    from monitor.store.interface import Store

log = structlog.get_logger("monitor.store.retention")

# No age is shorter than the dedup window plus this: a story the in-memory index may still
# fold an article into (it is pruned hourly) must still be in the store.
WINDOW_MARGIN = timedelta(days=1)


# What a retention run prunes, in this order: alerts first frees their articles, and
# articles and alerts gone free their stories (docs/decisions/0015-retention.md); surges
# (the surge detector's record) hang on nothing.
PRUNE_KINDS = ("alerts", "articles", "stories", "tombstones", "surges")


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one run pruned (or, dry, would prune), by kind."""

    pruned: dict[str, int] = field(default_factory=dict)
    reclaimed_pages: int = 0
    complete: bool = True  # False: the per-run cap stopped it; the next run goes on
    dry_run: bool = False


def prune_cutoffs(settings: RetentionSettings, now: datetime, window: timedelta) -> PruneCutoffs:
    """The times before which each kind may go; never inside the dedup window."""

    def before(days: float) -> datetime | None:
        return now - max(timedelta(days=days), window + WINDOW_MARGIN) if days else None

    return PruneCutoffs(
        articles=before(settings.articles_days),
        stories=before(settings.stories_days),
        alerts=before(settings.alerts_days),
        tombstones=before(settings.tombstones_days),
        surges=before(settings.surges_days),
    )


async def run_retention(
    store: Store,
    settings: RetentionSettings,
    now: datetime,
    *,
    window: timedelta,
    dry_run: bool = False,
    on_pruned: Callable[[str, int], None] | None = None,
) -> RetentionReport:
    """Prune in batches, alerts first (freeing articles), then articles, stories, tombstones;
    then give free pages back. ``dry_run`` counts what a run would delete, deleting nothing.
    ``on_pruned(kind, rows)`` is told each kind's count (the daemon's metrics)."""
    cutoffs = prune_cutoffs(settings, now, window)
    if dry_run:
        return RetentionReport(await store.count_prunable(cutoffs), dry_run=True)
    budget, pruned = settings.max_rows_per_run, {}
    for kind in PRUNE_KINDS:
        pruned[kind] = 0
        # Batches until one comes back short (nothing left) or the run's budget is spent.
        while budget > 0:
            size = min(settings.batch_size, budget)
            deleted = await store.prune_batch(kind, cutoffs, size, now)
            pruned[kind] += deleted
            budget -= deleted
            if deleted < size:
                break
        if on_pruned is not None:
            on_pruned(kind, pruned[kind])
    reclaimed = await store.reclaim_space(settings.reclaim_pages)
    report = RetentionReport(pruned, reclaimed, complete=budget > 0)
    log.info("retention_pruned", **pruned, reclaimed_pages=reclaimed, complete=report.complete)
    return report
