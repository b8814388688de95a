"""Imported by the parse processes' fork server (:func:`monitor.daemon.polling.parse_pool`):
the language identifier is loaded there once, so every worker forked from it starts with
it in memory instead of loading its own (decision 0080).

A failure is logged once (``preload_failed``, :func:`monitor.ingest.preloading.preload`)
and left to the workers' own warmers, which meet it again and fail as before: the fork
server imports this module and must never end because of it.
"""

from __future__ import annotations

from monitor.ingest.language import load_identifier
from monitor.ingest.preloading import preload

__all__: list[str] = []

preload("language_identifier", load_identifier)
