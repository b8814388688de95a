"""What the parse processes' fork server's preload modules share (decision 0080): a model
loaded there once; a failure logged once, never raised."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from monitor.observability import configure_inherited_logging

__all__ = ["preload"]

log = structlog.get_logger("monitor.ingest.preloading")


def preload(model: str, load: Callable[[], object]) -> None:
    """Run ``load``, which loads ``model``, in the fork server. A failure is logged once
    (``preload_failed``, naming ``model``, with the error) and not raised: the fork server
    ends when a module it preloads raises anything but ``ImportError``, and no worker could
    start. The workers' warmers then meet the failure again, as without the preload."""
    try:
        load()
    except Exception as err:
        if not structlog.is_configured():  # the fork server: as the daemon that started it
            configure_inherited_logging()
        log.error("preload_failed", model=model, error=f"{type(err).__name__}: {err}")
