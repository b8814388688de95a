"""What the surge stage costs per count on the event loop, apart from the counting itself.

``bench.pipeline`` times the stage's count (``count_poll``, ``count_handed``) inside its
run, without an event loop. In the daemon each count also pays for the stage's call, and
a gathered count for the gathering: the first poll to reach the stage lets the event loop
run once so the polls ready with it hand theirs in (``SurgeStage.observe``, decision
0060); a poll its write let go alone is counted at once (``alone``). This times either:
the stage on a running loop, handed poll after poll of one re-delivered article (nothing
to count), best of a few runs, in CPU time: the turn of the loop waits on nothing, so
wall time on a shared machine would only add the other processes' share of it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from monitor.config import SurgeSettings
from monitor.ingest import Ingested, SurgeStage
from monitor.records.models import Article, DedupDecision, StoryFacts, Verdict
from monitor.store.sqlite.store import SqliteStore
from monitor.surges import SurgeDetector

POLLS = 20_000


def gathering_seconds(
    article: Article, repeat: int, polls: int = POLLS, *, alone: bool = False
) -> float:
    """Best CPU seconds per poll the stage takes to gather (or, ``alone``, to take a poll
    let go alone) and count nothing."""
    return asyncio.run(_best(article, repeat, polls, alone))


async def _best(article: Article, repeat: int, polls: int, alone: bool) -> float:
    with tempfile.TemporaryDirectory() as directory:
        store = SqliteStore(str(Path(directory) / "bench.db"))
        await store.open()
        try:
            stage = SurgeStage(SurgeDetector(SurgeSettings(save_interval=1e9)), store)
            facts = StoryFacts(article.feed_url)
            seen = (Ingested(article, DedupDecision(Verdict.SEEN, "s", facts=facts), (), ()),)
            best = float("inf")
            for _ in range(repeat):
                started = time.process_time()
                for _ in range(polls):
                    await stage.observe(seen, alone=alone)
                best = min(best, (time.process_time() - started) / polls)
            return best
        finally:
            await store.close()
