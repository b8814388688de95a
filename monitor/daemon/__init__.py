"""TODO daemon."""

from monitor.daemon.daemon import Daemon, run_daemon
from monitor.daemon.polling import build_fetcher

__all__ = ["Daemon", "build_fetcher", "run_daemon"]
