"""A built daemon's listener and WebSub push started as ``run`` starts them, for tests of
what arrives through the listener or the push path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from monitor.daemon.daemon import Daemon
from monitor.feeds import WebSub
from monitor.web import start_listener

__all__ = ["pushing"]


@asynccontextmanager
async def pushing(daemon: Daemon) -> AsyncIterator[WebSub]:
    """Start ``daemon``'s listener and its push (WebSub) for its configured feeds; yield
    the WebSub client, and stop the push on exit (closing the daemon stays its owner's)."""
    assert daemon.polling is not None and daemon.pipeline is not None
    assert await start_listener(daemon.listener, daemon.config.settings.listener)
    try:
        feeds = daemon.config.feeds
        await daemon.polling.start_push(daemon.store, daemon.pipeline, feeds, daemon.listener)
        assert daemon.polling.websub is not None
        yield daemon.polling.websub
    finally:
        await daemon.polling.stop_push()
