"""Counting what a PostgreSQL store costs the daemon: statements sent, and round trips,
the times the client had to wait for the server's answer.

:func:`counted` watches psycopg: it drives each exchange with the server as a generator
that yields what it waits for; a wait for reading (``Wait.R``) is the client blocked until
the server answers. Statements queued in a pipeline wait for nothing until their results
are read, so a pipeline of many statements counts as the waits it needed, not as one per
statement. How many waits an exchange takes depends on timing, though: an answer already
there when the client looks costs none, one arriving in pieces several.

:func:`libpq_traced` and :func:`sent` count from what the client sent instead (libpq's
trace of one connection), the same whatever the timing: each statement, and each time the
client asked for the answers to what it had sent (a Sync, a Flush, a simple Query).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import psycopg
from psycopg import pq
from psycopg.waiting import Wait

from monitor.store.postgres.store import PostgresStore

__all__ = ["Exchanges", "counted", "libpq_traced", "sent"]

_STATEMENTS: Final = frozenset({"Execute", "Query"})
_ANSWERS_ASKED: Final = frozenset({"Sync", "Flush", "Query"})


@dataclass
class Exchanges:
    """What a block cost: statements sent and round trips waited for."""

    statements: int = 0
    round_trips: int = 0


@contextlib.contextmanager
def counted() -> Iterator[Exchanges]:
    """Count, in ``Exchanges``, every statement and round trip of every async psycopg
    connection of this process while the block runs."""
    seen = Exchanges()
    wait, execute, executemany = (psycopg.AsyncConnection.wait, psycopg.AsyncCursor.execute,
                                  psycopg.AsyncCursor.executemany)  # fmt: skip

    async def counting_wait(self: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
        return await wait(self, _waits(gen, seen), *args, **kwargs)

    async def counting_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.statements += 1
        return await execute(self, *args, **kwargs)

    async def counting_executemany(self: Any, query: Any, params: Any, **kwargs: Any) -> Any:
        params = list(params)
        seen.statements += len(params)
        return await executemany(self, query, params, **kwargs)

    def counting_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.statements += 1  # BEGIN, COMMIT, ... as a transaction block sends them
        return command(self, *args, **kwargs)

    command = psycopg.AsyncConnection._exec_command
    patches = {"wait": counting_wait, "_exec_command": counting_command}
    cursor_patches = {"execute": counting_execute, "executemany": counting_executemany}
    with contextlib.ExitStack() as stack:
        for name, value in patches.items():
            stack.enter_context(_patched(psycopg.AsyncConnection, name, value))
        for name, method in cursor_patches.items():
            stack.enter_context(_patched(psycopg.AsyncCursor, name, method))
        yield seen


@contextlib.contextmanager
def _patched(owner: type, name: str, value: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _waits(gen: Generator[Any, Any, Any], seen: Exchanges) -> Generator[Any, Any, Any]:
    """``gen``, each of its waits to read counted as a round trip."""
    try:
        wanted = next(gen)
        while True:
            if wanted == Wait.R:
                seen.round_trips += 1
            wanted = gen.send((yield wanted))
    except StopIteration as done:
        return done.value


@contextlib.asynccontextmanager
async def libpq_traced(store: PostgresStore, path: Path) -> AsyncIterator[None]:
    """libpq's trace of ``store``'s connection (a store of one: ``max_size=1``), written
    to ``path`` while the block runs."""
    with path.open("w") as traced:
        async with store._connection() as conn:
            conn.pgconn.trace(traced.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield
        finally:
            async with store._connection() as conn:
                conn.pgconn.untrace()


def sent(trace: str) -> Exchanges:
    """What the client sent, from libpq's trace: statements (an Execute, a simple Query),
    and round trips, the times it asked for the answers to statements sent since it last
    asked (a Sync, a Flush, a Query; psycopg follows a Sync with a Flush, which asks for
    nothing new)."""
    seen, unanswered = Exchanges(), False
    for kind in (line.split("\t")[2] for line in trace.splitlines() if line.startswith("F\t")):
        if kind in _STATEMENTS:
            seen.statements, unanswered = seen.statements + 1, True
        if kind in _ANSWERS_ASKED and unanswered:
            seen.round_trips, unanswered = seen.round_trips + 1, False
    return seen
