"""``wirewatch run``: the configuration loaded and checked, the listener bound and
answering ``/healthz``, and only then the daemon imported, built and run (decision 0057).

This module imports what a start needs before the bind (the configuration, logging, the
listener's early responder) and nothing more: ``wirewatch run`` is parsed here, not by
the full command line (:mod:`monitor.cli.commandline`), whose subcommands import most of the
daemon. A configuration error still exits 1 before anything is bound.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import structlog

from monitor.config import (
    Config,
    ConfigError,
    Settings,
    config_warnings,
    default_config_path,
    load_config,
)
from monitor.listener import PUBLIC_PREFIXES, Answer, StartingResponder, bind_early
from monitor.observability import configure_logging

if TYPE_CHECKING:
    from monitor.daemon import RoundSummary

HELP = "run the daemon"
HEALTHZ = Answer(200, b"ok\n")  # alive: what a liveness probe asks


def starting_answers(settings: Settings, *, once: bool) -> dict[str, Answer]:
    """``/healthz`` and ``/readyz`` while the daemon is built: ``/readyz`` names the checks
    the full listener's will (decision 0057: the same shape), config ok, the rest starting."""
    checks = ["config", "stories", "store"]
    if not once:
        checks.append("scheduler")  # added as the daemon runs on schedule
    if settings.daemon.parse_workers != 0:  # parsed in processes (0: in a thread)
        checks.append("parse_workers")
    readyz = {"checks": {name: "ok" if name == "config" else "starting" for name in checks},
              "status": "not ready"}  # fmt: skip
    body = json.dumps(readyz, sort_keys=True).encode() + b"\n"
    return {"/healthz": HEALTHZ, "/readyz": Answer(503, body, "application/json")}


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="config file (default: $WIREWATCH_CONFIG, else ./wirewatch.toml)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", help="poll every feed once, dispatch alerts, and exit"
    )


def main(argv: Sequence[str]) -> int:
    """``wirewatch run ARGV…`` parsed as the full command line's ``run`` would parse it."""
    parser = argparse.ArgumentParser(prog="wirewatch run", description=HELP)
    add_config_option(parser)
    add_run_options(parser)
    try:
        return run(parser.parse_args(argv))
    except KeyboardInterrupt:
        return 130


def print_config_errors(path: str, errors: list[str]) -> None:
    count = f"{len(errors)} error" + ("s" if len(errors) != 1 else "")
    print(f"{path}: configuration is invalid ({count}):", file=sys.stderr)
    for line in errors:
        print(f"  {line}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """The ``run`` command: exit 1 for an invalid configuration, a store out of reach or
    another daemon on it; else run_daemon's status."""
    path = args.config or default_config_path()
    try:
        config = load_config(path, check_paths=True)
    except ConfigError as err:
        print_config_errors(path, err.errors)
        return 1
    log = config.settings.log
    configure_logging(log.level, log.format, levels=log.levels)
    for advice in config_warnings(config):  # weak or deprecated, yet working
        structlog.get_logger("monitor.cli.run").warning(advice.event, **advice.fields)
    starting = answer_while_starting(config.settings, once=args.once)
    try:
        return _run_daemon(config, once=args.once, starting=starting, on_round=_print_round)
    finally:
        if starting is not None:
            starting.close()


def answer_while_starting(settings: Settings, *, once: bool) -> StartingResponder | None:
    """The listener's address bound and answered at once, when this run serves it."""
    listener = settings.listener
    if not listener.enabled or (once and not listener.serve_once):
        return None
    token = listener.token.get_secret_value() if listener.token else None
    return bind_early(listener.host, listener.port, starting_answers(settings, once=once),
                      token=token, public_prefixes=PUBLIC_PREFIXES)  # fmt: skip


def _run_daemon(
    config: Config,
    *,
    once: bool,
    starting: StartingResponder | None,
    on_round: Callable[[RoundSummary], None],
) -> int:
    # Imported here, while the early responder answers: most of the daemon's start-up.
    from monitor.daemon import run_daemon, run_in_loop  # noqa: PLC0415
    from monitor.store import InstanceLockError, StoreUnavailableError  # noqa: PLC0415

    try:
        return run_in_loop(
            run_daemon(config, once=once, on_round=on_round, starting=starting, watchdog=True),
            config.settings.daemon.event_loop,
        )
    except (InstanceLockError, StoreUnavailableError) as err:  # taken, or out of reach
        print(f"wirewatch: {err}", file=sys.stderr)
        return 1


def _print_round(summary: RoundSummary) -> None:
    print(summary.line(), flush=True)
