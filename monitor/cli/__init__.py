"""The ``wirewatch`` command: every subcommand (run, check, replay, rules, schema, alerts,
silence, notify, feeds, db, demo), its arguments, output and exit codes."""

from monitor.cli.main import main

__all__ = ["main"]
