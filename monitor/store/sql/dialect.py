"""Where SQLite's SQL and PostgreSQL's differ, in one place.

Shared statements are written in SQLite's form: ``?`` for a positional parameter,
``:name`` for a named one. :meth:`Dialect.render` turns them into the driver's form;
the attributes hold the few fragments that differ (collation, tie-breaks, list
parameters) and the methods turn Python values into what the driver stores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
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
    timestamps_as_text: bool  # SQLite keeps ISO 8601 text; PostgreSQL timestamptz
    lists_as_arrays: bool  # PostgreSQL binds one array; SQLite one parameter per item

    def is_null(self, sql_type: str) -> str:
        """A parameter tested for NULL; PostgreSQL must be told the parameter's type."""
        return "? IS NULL" if self.name == "sqlite" else f"?::{sql_type} IS NULL"

    def render(self, sql: str) -> str:
        """``sql`` (SQLite's form) in this dialect's parameter style."""
        return sql if self.name == "sqlite" else _pyformat(sql)

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


@cache
def _pyformat(sql: str) -> str:
    # Rendered once per statement text: literal % doubled, then ? and :name turned into
    # psycopg's %s and %(name)s (``::type`` casts are left alone).
    escaped = sql.replace("%", "%%").replace("?", "%s")
    return _NAMED.sub(r"%(\1)s", escaped)


SQLITE = Dialect(
    name="sqlite",
    collate="",
    arrival="rowid",
    tiebreak="",
    greatest="max",
    timestamps_as_text=True,
    lists_as_arrays=False,
)
POSTGRES = Dialect(
    name="postgresql",
    collate=' COLLATE "C"',
    arrival="seq",
    tiebreak=", a.seq",
    greatest="greatest",
    timestamps_as_text=False,
    lists_as_arrays=True,
)
