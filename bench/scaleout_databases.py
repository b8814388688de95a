"""The databases of one ``bench.scaleout`` run: a warmed template per warm-up, and one copy
of it per setup (code and daemon count), all dropped at the end.

Each setup polls its own copy (``CREATE DATABASE … TEMPLATE``), so every setup starts from
the same rows, the same dead tuples and the same physical layout, whatever ran before it;
a setup's cycles never find another's leftovers (a grown window, bloat from its claims,
statistics taken at another size). A copy starts with no activity statistics (the server
keeps those per database), so the first daemon of each setup analyses the growing tables
at its start, as on a fresh server (``monitor.store.postgres.statistics``). Advisory
locks are per database too, so an idle setup's daemons never meet the measured ones'.

Needs the ``CREATEDB`` privilege on the server of ``WIREWATCH_BENCH_POSTGRES_URL``; the
database that URL names only serves to create and drop the others.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

# How long a connection the server refuses for want of slots (others' benchmarks or tests
# holding theirs) is tried again, in pauses doubling up to the last, before it fails.
PATIENCE, FIRST_PAUSE, LONGEST_PAUSE = 120.0, 0.25, 8.0
# A refused connection has no SQLSTATE in psycopg (the server's FATAL comes before a
# session): told by the server's words for 53300, too_many_connections.
_NO_SLOTS = ("too many clients", "too many connections", "connection slots are reserved")


def crowded(err: psycopg.OperationalError) -> bool:
    """Whether ``err`` is the server refusing a connection for want of slots."""
    return any(words in str(err) for words in _NO_SLOTS)


def connect(
    url: str, patience: float = PATIENCE, sleep: Callable[[float], None] = time.sleep
) -> psycopg.Connection[Any]:
    """An autocommit connection to ``url``; refused for want of slots, tried again after
    pauses adding up to at most ``patience`` seconds (each said on stderr, waited with
    ``sleep``), then the refusal is raised."""
    waited, pause = 0.0, FIRST_PAUSE
    while True:
        try:
            return psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as err:
            if not crowded(err) or waited + pause > patience:
                raise
            print(f"bench.scaleout: PostgreSQL has no connection slot free (too many "
                  f"clients); trying again in {pause:g} s", file=sys.stderr)  # fmt: skip
            sleep(pause)
            waited, pause = waited + pause, min(2 * pause, LONGEST_PAUSE)


def database_url(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead, its sessions named ``name`` too (so that
    this run's connections are told from others on the server)."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "application_name"]
    query.append(("application_name", name))
    return urlunsplit(parts._replace(path=f"/{name}", query=urlencode(query)))


class Databases:
    """Databases made on the server of ``url``, each dropped by :meth:`drop_all`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"ww_bench_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []

    def create(self, label: str, template: str | None = None) -> tuple[str, str]:
        """A new database (a copy of ``template`` when given): its name and URL."""
        name = f"{self.prefix}_{label}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self._admin(statement)
        self.made.append(name)
        return name, database_url(self.url, name)

    def checkpoint(self) -> None:
        """Before each cycle: every cycle then pays the same full-page writes (the first
        change to each page after a checkpoint logs the whole page), and no checkpoint
        timed by the server lands in one cycle and not in another."""
        self._admin(sql.SQL("CHECKPOINT"))

    def drop_all(self) -> None:
        for name in reversed(self.made):
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self._admin(drop.format(sql.Identifier(name)))
        self.made.clear()

    def _admin(self, statement: sql.Composed | sql.SQL) -> None:
        with connect(self.url) as admin:
            admin.execute(statement)


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL whose sessions use a new schema of ``url``'s database, dropped afterwards
    (for benchmarks of one store: ``bench.delivery``, ``bench.store_calls``)."""
    name = f"wirewatch_bench_{uuid.uuid4().hex[:12]}"
    with connect(url) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        try:
            separator = "&" if "?" in url else "?"
            # The application name tells this run's connections from others on the server.
            query = urlencode({"options": f"-csearch_path={name}", "application_name": name})
            yield f"{url}{separator}{query}"
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@contextmanager
def databases(url: str) -> Iterator[Databases]:
    made = Databases(url)
    try:
        yield made
    finally:
        made.drop_all()
