"""Where SQLite's SQL and PostgreSQL's differ, in one place.

Shared statements are written in SQLite's form (``?`` for a positional parameter,
``:name`` for a named one) with a few ``{fragments}`` left open, one per attribute of
:class:`Dialect`, and ``{time_param}``/``{text_param}`` (a parameter PostgreSQL must be
told the type of). :meth:`Dialect.render` fills them in and converts the parameters;
the other methods turn Python values into what the driver stores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one backend spells what the shared statements leave open."""

    name: str
    collate: str  # byte-order sort of text: SQLite's default, PostgreSQL's COLLATE "C"
    arrival: str  # the articles column numbering rows in the order they were stored
    tiebreak: str  # what orders articles fetched at the same moment, after fetched_at
    greatest: str  # the function giving the larger of two values
    least: str  # the function giving the smaller of two values
    concat: str  # the aggregate joining text values with a separator
    skip_locked: str  # how a batch to prune is taken: PostgreSQL skips rows others hold
    fold: str  # lower case in every script (SQLite's lower() folds ASCII only)
    utc_hour: str  # the UTC hour of column first_at as text, "2026-03-01T06"
    typed_params: bool  # PostgreSQL: a parameter only tested for NULL needs a type
    timestamps_as_text: bool  # SQLite keeps ISO 8601 text; PostgreSQL timestamptz
    lists_as_arrays: bool  # PostgreSQL binds one array; SQLite one parameter per item
    migrations_folder: str  # under monitor/store: the numbered schema scripts
    # A write that changes nothing, yet needs what any write needs (SQLite: a page of the
    # write-ahead log; PostgreSQL: a new row version): the store's write check.
    write_check: str
    # Taken before a surge's cooldown check, binding (kind, key): PostgreSQL serialises the
    # writers of one surge key among daemons until commit; SQLite has one writer already.
    surge_lock: str

    def migrations(self) -> list[tuple[int, str]]:
        """Every (version, script) of this backend's schema, oldest first."""
        folder = resources.files("monitor.store").joinpath(self.migrations_folder)
        scripts = [
            (int(item.name.split("_", 1)[0]), item.read_text(encoding="utf-8"))
            for item in folder.iterdir()
            if item.name.endswith(".sql")
        ]
        return sorted(scripts)

    @cache  # noqa: B019 - two dialects, both module constants: none is kept alive needlessly
    def render(self, sql: str) -> str:
        """``sql`` (SQLite's form, fragments open) as this backend's driver takes it.

        Once per statement text: fragments filled in; for psycopg, literal % doubled, then ?
        and :name turned into %s and %(name)s (``::type`` casts are left alone)."""
        typed = self.typed_params
        text = sql.format(
            **asdict(self),  # collate, arrival, tiebreak, greatest, least, skip_locked, utc_hour
            time_param="?::timestamptz" if typed else "?",
            text_param="?::text" if typed else "?",
        )
        if self.name == "sqlite":
            return text
        return _NAMED.sub(r"%(\1)s", text.replace("%", "%%").replace("?", "%s"))

    def time(self, moment: datetime | None) -> Any:
        if moment is None or not self.timestamps_as_text:
            return moment
        return moment.astimezone(UTC).isoformat()

    def json(self, value: object) -> Any:
        if self.name == "sqlite":
            return json.dumps(value)
        from psycopg.types.json import Jsonb  # noqa: PLC0415 (SQLite never loads psycopg)

        return Jsonb(value)

    def in_list(self, column: str, count: int) -> str:
        """A condition: ``column`` is one of the ``count`` values :meth:`list_values` binds."""
        if self.lists_as_arrays:
            return f"{column} = ANY(?)"
        return f"{column} IN ({', '.join('?' * count)})"

    def list_values(self, values: Sequence[Any]) -> tuple[Any, ...]:
        return (list(values),) if self.lists_as_arrays else tuple(values)


SQLITE = Dialect(
    name="sqlite",
    collate="",
    arrival="rowid",
    tiebreak="",
    greatest="max",
    least="min",
    concat="group_concat",
    skip_locked="",
    fold="unicode_lower",  # registered on every connection (monitor.store.sqlite.store)
    utc_hour="substr(first_at, 1, 13)",  # stored as UTC ISO 8601 text
    typed_params=False,
    timestamps_as_text=True,
    lists_as_arrays=False,
    migrations_folder="migrations",
    write_check="PRAGMA application_id = 0",  # never set otherwise: it stays 0
    surge_lock="",
)
POSTGRES = Dialect(
    name="postgresql",
    collate=' COLLATE "C"',
    arrival="seq",
    tiebreak=", a.seq",
    greatest="greatest",
    least="least",
    concat="string_agg",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    fold="lower",
    utc_hour="""to_char(first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')""",
    typed_params=True,
    timestamps_as_text=False,
    lists_as_arrays=True,
    migrations_folder="migrations/postgres",
    write_check="UPDATE schema_migrations SET applied_at = applied_at"
    " WHERE version = (SELECT max(version) FROM schema_migrations)",
    surge_lock="SELECT pg_advisory_xact_lock(hashtextextended("
    "'wirewatch.surge:' || current_schema() || ':' || ?::text || ':' || ?::text, 0))",
)
