"""What a command module needs from ``monitor.cli.main`` to register its subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Protocol, TypeAlias

from monitor.config import Config

# A string: argparse._SubParsersAction is not subscriptable at run time.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Loader = Callable[[argparse.Namespace], Config | None]


class CommandFactory(Protocol):
    """``monitor.cli.main``'s helper that adds a subcommand with the shared ``--config`` option."""

    def __call__(
        self, commands: Subcommands, name: str, help_text: str, handler: object
    ) -> argparse.ArgumentParser: ...
