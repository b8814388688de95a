"""The ``wirewatch`` command line (``wirewatch run`` alone is parsed by
:mod:`monitor.cli.run` first, with the same arguments).

Exit status: 0 success; 1 invalid configuration (the store's directory included, for
``check`` and ``run``), failed rule checks or a source that could not be read; 2 wrong
usage (argparse); 3 ``run --once`` could poll no feed (docs/decisions/0019). The rule tools
(``rules test|try|backtest``, ``schema``) live in ``monitor.cli.rules``, feed health
(``feeds``) in ``monitor.cli.feeds``, database upkeep (``db``) in ``monitor.cli.db``, article
extraction (``extract``) in ``monitor.cli.extract``, surges (``surges``) in
``monitor.cli.surges``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import rules
from monitor import __version__
from monitor.cli.alerts import add_commands as add_alert_commands
from monitor.cli.db import add_commands as add_db_commands
from monitor.cli.extract import add_commands as add_extract_commands
from monitor.cli.feeds import add_commands as add_feed_commands
from monitor.cli.rules import add_commands as add_rule_commands
from monitor.cli.run import HELP as RUN_HELP
from monitor.cli.run import add_config_option, add_run_options, print_config_errors
from monitor.cli.run import run as _run
from monitor.cli.surges import add_commands as add_surge_commands
from monitor.config import Config, ConfigError, config_warnings, default_config_path, load_config
from monitor.observability import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Every command parsed and run (exceptions: :func:`monitor.cli.main.exit_status`)."""
    args = _parser().parse_args(argv)
    return int(args.handler(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirewatch", description="News monitoring and alerting daemon."
    )
    parser.add_argument("--version", action="version", version=f"wirewatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_run_options(_command(commands, "run", RUN_HELP, _run))
    _command(commands, "check", "validate configuration and rules", _check)
    replay = _command(
        commands, "replay", "print what the pipeline makes of feed files or URLs", _replay
    )
    replay.add_argument("sources", nargs="+", metavar="SOURCE", help="feed file path or URL")
    demo = commands.add_parser("demo", help="run against a simulated newsroom on loopback")
    demo.set_defaults(handler=_demo)
    add_rule_commands(commands, _command, _load)
    add_alert_commands(commands, _command, _load)
    add_surge_commands(commands, _command, _load)
    add_feed_commands(commands, _command, _load)
    add_db_commands(commands, _command, _load)
    add_extract_commands(commands, _command, _load)
    return parser


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    handler: object,
) -> argparse.ArgumentParser:
    sub = commands.add_parser(name, help=help_text, description=help_text)
    add_config_option(sub)
    sub.set_defaults(handler=handler)
    return sub


def _load(args: argparse.Namespace, *, check_paths: bool = False) -> Config | None:
    """The config, or None after printing every error (``check_paths``: see load_config)."""
    path = args.config or default_config_path()
    try:
        return load_config(path, check_paths=check_paths)
    except ConfigError as err:
        print_config_errors(path, err.errors)
        return None


def _check(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    try:
        config = load_config(path, check_paths=True)
    except ConfigError as err:  # the rule examples still run when the rules loaded
        print_config_errors(path, err.errors)
        if err.ruleset is not None:
            _run_examples(path, err.ruleset)
        return 1
    examples = _run_examples(config.path, config.ruleset)
    if examples.failures:
        return 1
    settings = config.settings
    for advice in config_warnings(config):  # on stderr: stdout's one line is unchanged
        print(f"{config.path}: warning: {advice.text}", file=sys.stderr)
    print(
        f"{config.path}: OK — {len(config.feeds)} feeds, "
        f"{len(config.ruleset.enabled_rules)} rules ({examples.ran} examples pass), "
        f"{len(config.enabled_notifiers)} enabled notifiers of {len(settings.notifiers)}"
    )
    return 0


def _run_examples(path: str, ruleset: rules.RuleSet) -> rules.ExampleReport:
    """Every rule example run; the failures are printed."""
    examples = rules.run_examples(ruleset)
    if examples.failures:
        print(f"{path}: {len(examples.failures)} rule examples failed:", file=sys.stderr)
        for failure in examples.failures:
            print(failure.report(), end="\n\n", file=sys.stderr)
    return examples


def _replay(args: argparse.Namespace) -> int:
    from monitor.cli.replay import replay  # noqa: PLC0415

    config = _load(args)
    if config is None:
        return 1
    configure_logging("warning", config.settings.log.format)
    errors = asyncio.run(replay(config, args.sources, sys.stdout))
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    return 1 if errors else 0


def _demo(args: argparse.Namespace) -> int:
    from monitor.demo import run_demo  # noqa: PLC0415

    return run_demo()
