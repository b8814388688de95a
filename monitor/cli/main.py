"""The ``wirewatch`` entry point: ``run`` goes to :mod:`monitor.cli.run`, which binds the
listener before the daemon's imports; every other command (and ``--help``) to the full
command line, :mod:`monitor.cli.commandline`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wirewatch`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:  # subcommand first: the command line has no global options
        from monitor.cli.run import main as run  # noqa: PLC0415 - the light path

        return exit_status(lambda: run(args[1:]))
    from monitor.cli.commandline import main as command_line  # noqa: PLC0415

    return exit_status(lambda: command_line(args))


def exit_status(command: Callable[[], int]) -> int:
    """``command``'s status; 130 for Ctrl-C, 141 when the reader of stdout went away."""
    try:
        return command()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`wirewatch replay … | head`): not an error of ours. Point
        # stdout at devnull so the interpreter's final flush cannot fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
