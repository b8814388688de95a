"""The daemon's wiring: builds every component in one step, runs the scheduler (one job
per feed plus housekeeping), polls feeds (alone, or by lease on a shared store), and
reloads the configuration by swapping one immutable runtime."""

from monitor.daemon.daemon import Daemon
from monitor.daemon.event_loop import run_in_loop
from monitor.daemon.polling import build_fetcher
from monitor.daemon.run import run_daemon
from monitor.daemon.summary import NO_FEED_POLLED, RoundSummary

__all__ = ["NO_FEED_POLLED", "Daemon", "RoundSummary", "build_fetcher", "run_daemon", "run_in_loop"]
