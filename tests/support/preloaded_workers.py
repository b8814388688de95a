"""Run as ``python -m tests.support.preloaded_workers [--semantic]``: starts the daemon's
parse pool (:func:`monitor.daemon.polling.parse_pool`, one worker) in a process of its own,
so that its fork server is a fresh one (one per process, started by the first pool), and
prints as JSON what the worker's warmers found already loaded when they ran, and the
worker's embedding of :data:`HEADLINE` (hex; "" with the model off)."""

from __future__ import annotations

import asyncio
import json
import sys

from monitor.daemon.polling import parse_pool
from monitor.ingest import language
from monitor.stories import embedding

__all__ = ["HEADLINE", "found_loaded"]

HEADLINE = "Flood waters reach the old town"


def found_loaded() -> dict[str, bool | str]:
    """In a worker, after its warmers: whether each warmer found its model loaded (a cache
    hit: loaded before the worker was forked), whether the embedding model is there, and
    the worker's embedding of :data:`HEADLINE` when it is."""
    loaded = embedding._model.cache_info().currsize > 0
    return {
        "identifier_preloaded": language._detector.cache_info().hits > 0,
        "model_preloaded": embedding._model.cache_info().hits > 0,
        "model_loaded": loaded,
        "vector": embedding.encode_headlines([HEADLINE])[0].hex() if loaded else "",
    }


async def _report(semantic: bool) -> dict[str, bool | str]:
    pool = parse_pool(1, semantic=semantic)
    assert pool is not None
    try:
        await pool.start_workers()
        return await asyncio.wrap_future(pool.submit(found_loaded))
    finally:
        pool.shutdown()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_report("--semantic" in sys.argv[1:]))))
