"""wirewatch's daemon: configuration, scheduling, fetching, parsing, dedup, storage,
pipeline, dispatch and the command line. ``rules`` and ``notifiers`` are its plug-ins.

The names below are imported when first used, not with the package: ``wirewatch run``
binds its listener before the daemon's heavy imports, and ``wirewatch --help`` needs none
of them (decision 0057)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import Config, ConfigError, load_config
    from monitor.daemon import Daemon, run_daemon

__version__ = "0.1.0"

__all__ = ["Config", "ConfigError", "Daemon", "__version__", "load_config", "run_daemon"]

_HOMES = {"Config": "monitor.config", "ConfigError": "monitor.config",
          "load_config": "monitor.config", "Daemon": "monitor.daemon",
          "run_daemon": "monitor.daemon"}  # fmt: skip


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'monitor' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
