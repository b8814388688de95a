"""Imported by the parse processes' fork server when the daemon embeds headlines
(:func:`monitor.daemon.polling.parse_pool`): the headline-embedding model is loaded there
once, before any worker is forked, so every worker starts with it in memory (pages shared
copy-on-write) instead of reading its own: ~1.7 s of CPU and ~120 MB a worker (decision
0080). Each worker's warmer still encodes a headline before it reports ready, so
``/readyz`` still waits until every worker can embed.

``load_model`` leaves a failure to the first encode (it never raises), so the fork
server never ends because of this module.
"""

from __future__ import annotations

from monitor.stories import embedding

__all__: list[str] = []

embedding.load_model()
