"""PostgreSQL: planner statistics, and dead rows without autovacuum, kept by the daemon.

A server may run with autovacuum off (or behind on a busy table); a table never analysed
is planned from guesses, and one guess (a third of the table past any ``seq`` mark) once
turned the story catch-up into a hash join over every story
(docs/decisions/0056-postgres-statistics-and-the-stories-lock.md). So the store analyses
the tables that grow with articles itself, on the rule autovacuum uses: when this process
has written more than a tenth of the table (and at least ``_MIN_GROWTH`` rows) since the
last ANALYZE, and at start when a table was never analysed. ANALYZE runs in its own short
transaction, outside every lock the daemons share; two daemons analysing at once wait for
each other, never for a writer.

Every article is inserted then updated at publishing, stories and feeds are updated all
the time: with autovacuum off nothing reclaims their dead rows. So where autovacuum is off
(the server's setting, or a table's ``autovacuum_enabled``), each retention run (hourly,
one daemon at a time) vacuums the tables whose dead rows passed autovacuum's own default
threshold (a fifth of the live rows, plus 50). Never the refresh after a write: a VACUUM
reads the whole table and its indexes, and the writer and every poll behind it would wait
for it. With autovacuum on, the server does it.
"""

from __future__ import annotations

import structlog

from monitor.store.postgres.schema import Connection
from monitor.store.sql.statements import TABLES

log = structlog.get_logger("monitor.store.postgres")

_MIN_GROWTH = 1_000
_GROWING = ("articles", "stories", "story_outlets", "story_names", "alerts", "deliveries")
_ANALYZE = f"ANALYZE {', '.join(_GROWING)}"
_ROWS = "SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = 'articles'::regclass"
_NEVER = """
SELECT count(*) AS n FROM pg_stat_user_tables
WHERE relid = ANY(%s::regclass[]) AND last_analyze IS NULL AND last_autoanalyze IS NULL
"""
# autovacuum_vacuum_scale_factor and autovacuum_vacuum_threshold at their defaults.
_DEAD = """
SELECT s.relname AS name FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relid = ANY(%s::regclass[]) AND s.n_dead_tup > 0.2 * s.n_live_tup + 50
  AND (current_setting('autovacuum') = 'off'
       OR EXISTS (SELECT 1 FROM pg_options_to_table(c.reloptions)
                  WHERE option_name = 'autovacuum_enabled' AND NOT option_value::boolean))
"""
# Plain VACUUM takes SHARE UPDATE EXCLUSIVE, which no write conflicts with; TRUNCATE false
# skips the ACCESS EXCLUSIVE lock a vacuum takes to cut empty pages off a table's end, and
# SKIP_LOCKED a table another daemon is vacuuming or analysing (it is being done).
_VACUUM = "VACUUM (ANALYZE, SKIP_LOCKED, TRUNCATE false) "


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
        """ANALYZE the growing tables (a sample, never a VACUUM: a write waits for this);
        the next refresh is due after a tenth more articles."""
        await conn.execute(_ANALYZE)
        row = await (await conn.execute(_ROWS)).fetchone()
        self.written = 0
        self.due = max(_MIN_GROWTH, int(row["n"]) // 10 if row else 0)

    async def vacuum_dead(self, conn: Connection) -> list[str]:
        """Where autovacuum is off, VACUUM (ANALYZE) the tables with dead rows past its
        threshold; the tables vacuumed (none with autovacuum on: the server's job). For the
        retention run only: its time grows with the tables. ``conn`` in autocommit."""
        rows = await (await conn.execute(_DEAD, (list(TABLES),))).fetchall()
        found = {row["name"] for row in rows}
        tables = [table for table in TABLES if table in found]  # only our own names in SQL
        if tables:
            await conn.execute(_VACUUM + ", ".join(tables))
            log.info("store_vacuumed", tables=tables, reason="autovacuum off")
        return tables

    async def refresh_if_never(self, conn: Connection) -> None:
        """At start: analyse when any growing table was never analysed (a fresh server)."""
        row = await (await conn.execute(_NEVER, (list(_GROWING),))).fetchone()
        if row and int(row["n"]):
            await self.refresh(conn)
