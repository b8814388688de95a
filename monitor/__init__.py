"""wirewatch's daemon: configuration, scheduling, fetching, parsing, dedup, storage,
pipeline, dispatch and the command line. ``rules`` and ``notifiers`` are its plug-ins."""

from monitor.config import Config, ConfigError, load_config
from monitor.daemon import Daemon, run_daemon

__version__ = "0.1.0"

__all__ = ["Config", "ConfigError", "Daemon", "__version__", "load_config", "run_daemon"]
