"""PostgreSQL: planner statistics kept fresh by the daemon, never left to autovacuum.

A server may run with autovacuum off (or behind on a busy table); a table never analysed
is planned from guesses, and one guess (a third of the table past any ``seq`` mark) once
turned the story catch-up into a hash join over every story
(docs/decisions/0056-postgres-statistics-and-the-stories-lock.md). So the store analyses
the tables that grow with articles itself, on the rule autovacuum uses: when this process
has written more than a tenth of the table (and at least ``_MIN_GROWTH`` rows) since the
last ANALYZE, and at start when a table was never analysed. ANALYZE runs in its own short
transaction, outside every lock the daemons share; two daemons analysing at once wait for
each other, never for a writer.
"""

from __future__ import annotations

from monitor.store.postgres.schema import Connection

_MIN_GROWTH = 1_000
_GROWING = ("articles", "stories", "story_outlets", "story_names", "alerts", "deliveries")
_ANALYZE = f"ANALYZE {', '.join(_GROWING)}"
_ROWS = "SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = 'articles'::regclass"
_NEVER = """
SELECT count(*) AS n FROM pg_stat_user_tables
WHERE relid = ANY(%s::regclass[]) AND last_analyze IS NULL AND last_autoanalyze IS NULL
"""


class Statistics:
    """How many articles this process stored since the last ANALYZE, and when it is due."""

    def __init__(self) -> None:
        self.written = 0
        self.due = _MIN_GROWTH

    def grew(self, rows: int) -> bool:
        """Count ``rows`` new articles; true when the tables should be analysed now."""
        self.written += rows
        return self.written >= self.due

    async def refresh(self, conn: Connection) -> None:
        """ANALYZE the growing tables; the next one is due after a tenth more articles."""
        await conn.execute(_ANALYZE)
        row = await (await conn.execute(_ROWS)).fetchone()
        self.written = 0
        self.due = max(_MIN_GROWTH, int(row["n"]) // 10 if row else 0)

    async def refresh_if_never(self, conn: Connection) -> None:
        """At start: analyse when any growing table was never analysed (a fresh server)."""
        row = await (await conn.execute(_NEVER, (list(_GROWING),))).fetchone()
        if row and int(row["n"]):
            await self.refresh(conn)
