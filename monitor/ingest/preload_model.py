"""Imported by the parse processes' fork server when the daemon embeds headlines
(:func:`monitor.daemon.polling.parse_pool`): the headline-embedding model is loaded there
once, before any worker is forked, so every worker starts with it in memory (pages shared
copy-on-write) instead of reading its own: ~1.7 s of CPU and ~120 MB a worker (decision
0080). Each worker's warmer still encodes a headline before it reports ready, so
``/readyz`` still waits until every worker can embed.

A failure is logged once (``preload_failed``, :func:`monitor.ingest.preloading.preload`)
and left to the first encode, as without the preload: the fork server imports this
module and must never end because of it.
"""

from __future__ import annotations

from monitor.ingest.preloading import preload
from monitor.stories import embedding

__all__: list[str] = []

preload("embedding_model", embedding.warm_model)
