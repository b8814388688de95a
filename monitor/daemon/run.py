"""The body of ``wirewatch run``: the instance lock, the daemon built, run until stopped
(or for one round with ``--once``), closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from monitor.config import Config
from monitor.daemon.daemon import Daemon
from monitor.daemon.reload import install_reload_signal
from monitor.daemon.shutdown import EXIT_GRACE, ExitWatchdog, install_stop_signals
from monitor.daemon.summary import RoundSummary
from monitor.listener import StartingResponder
from monitor.store import instance_lock, lock_path_for


async def run_daemon(
    config: Config,
    *,
    once: bool,
    stop: asyncio.Event | None = None,
    on_round: Callable[[RoundSummary], None] | None = None,
    starting: StartingResponder | None = None,
    watchdog: bool = False,
) -> int:
    """The body of ``wirewatch run``: exit status 0 unless start-up failed or, ``once``, no
    feed could be polled (``on_round`` gets the round's summary). Holds the database's
    instance lock throughout (InstanceLockError when another daemon has it). ``starting``:
    the responder answering on the listener's socket until the daemon's listener takes it
    over (decision 0057). ``watchdog``: a stop signal also arms :class:`ExitWatchdog`
    (``wirewatch run``; never in a process that is not the daemon's own)."""
    summary = None
    with instance_lock(lock_path_for(config.settings.store)):
        # Warmed with /healthz answering, as it answered (``starting``) while being built.
        daemon = await Daemon.build(config, warm=False, starting=starting)
        stop = stop or asyncio.Event()
        try:
            if once:
                summary = await daemon.poll_round()
            else:
                install_stop_signals(stop, exit_watchdog(config) if watchdog else None)
                install_reload_signal(daemon.reloader)
                await daemon.run_forever(stop)
        finally:
            await daemon.close()
    if summary is not None and on_round is not None:
        on_round(summary)
    return summary.exit_status if summary is not None else 0


def exit_watchdog(config: Config) -> ExitWatchdog:
    """Past the drain's deadline and the close's (each ``shutdown_timeout``), one more
    for what runs after them (the parse workers' stop, the interpreter's exit), and a
    grace: 70 s with the default 20 s."""
    return ExitWatchdog(3 * config.settings.daemon.shutdown_timeout + EXIT_GRACE)
