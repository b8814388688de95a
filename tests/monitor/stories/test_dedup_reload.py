"""Reloading the story index from the store's window: the whole of it, in turns."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from monitor.config.settings import DedupSettings
from monitor.store import WindowArticle
from monitor.stories.dedup import Deduplicator
from tests.support.dedup_articles import NOW


class _Window:
    """A store whose window holds ``count`` articles, each its own story."""

    def __init__(self, count: int) -> None:
        self.articles = [
            WindowArticle(f"s{n}", f"a{n}", f"Report number {n} of the day", "", NOW)
            for n in range(count)
        ]

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        return list(self.articles)


async def test_a_reload_gives_the_event_loop_turns_and_stops_when_cancelled() -> None:
    """A reload after a failed write adds a large window; a confined daemon needs minutes
    for it, during which its leases must be renewed and a SIGTERM heard. Between steps the
    loop runs other tasks; cancelled there, the reload adds nothing more."""
    store = _Window(450)
    dedup = Deduplicator(store, DedupSettings())  # type: ignore[arg-type]
    reloading = asyncio.create_task(dedup.reload(NOW))
    seen_meanwhile: list[int] = []
    while not reloading.done() and len(seen_meanwhile) < 2:
        await asyncio.sleep(0)  # one turn of the loop, as any other task takes
        seen_meanwhile.append(dedup.index.entries)
    reloading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reloading
    assert 0 < seen_meanwhile[0] < 450
    assert dedup.index.entries == seen_meanwhile[-1] < 450


async def test_a_whole_reload_holds_the_whole_window() -> None:
    dedup = Deduplicator(_Window(450), DedupSettings())  # type: ignore[arg-type]
    assert await dedup.reload(NOW) == 450
    assert dedup.index.entries == 450
