"""What a command module needs from ``monitor.cli.commandline`` to register its subcommands, and
how a command runs on the store."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol, TypeAlias

from monitor.alerting import parse_duration
from monitor.config import Config, StoreSettings
from monitor.store import Store, StoreUnavailableError, opened_store

# A string: argparse._SubParsersAction is not subscriptable at run time.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Loader = Callable[[argparse.Namespace], Config | None]


class CommandFactory(Protocol):
    """``monitor.cli.commandline``'s helper: adds a subcommand with the shared ``--config``."""

    def __call__(
        self, commands: Subcommands, name: str, help_text: str, handler: object
    ) -> argparse.ArgumentParser: ...


def on_store(
    settings: StoreSettings, work: Callable[[Store], Awaitable[int]], *, read_only: bool
) -> int:
    """``work`` on the opened store, its exit status. ``read_only`` for commands that only
    read: they then work on a full disk or a read-only file, and never migrate."""

    async def run() -> int:
        async with opened_store(settings, read_only=read_only) as store:
            return await work(store)

    return reporting_unavailable(lambda: asyncio.run(run()))


def reporting_unavailable(command: Callable[[], int]) -> int:
    """Exit 1 with one line when the store is out of reach (unreachable, not writable, a
    schema to migrate), not a traceback."""
    try:
        return command()
    except StoreUnavailableError as err:
        print(f"wirewatch: {err}", file=sys.stderr)
        return 1


def parse_since(text: str, now: datetime) -> datetime:
    """A duration back from ``now`` (``24h``), or an ISO date/time (UTC if no zone)."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: use a duration (24h, 7d) or a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
