"""``wirewatch db stats|prune|vacuum``: the database's size and contents, retention by hand.

    wirewatch db stats [--config PATH] [--json]    file and WAL size, pages, rows per table
    wirewatch db prune [--config PATH] [--dry-run] one retention run ([retention] ages)
    wirewatch db vacuum [--config PATH]            rebuild the file compactly, once
    wirewatch db migrate [--config PATH]           apply pending schema migrations

``stats`` and ``prune`` are safe beside a running daemon (SQLite in WAL mode; each
pruning batch is one short transaction); ``stats`` and ``prune --dry-run`` open the store
read-only, so they work on a full disk or a read-only file. ``vacuum`` rewrites the whole
file and holds the database while it does: run it with the daemon stopped. It also switches
a database created before retention existed to incremental auto-vacuum (decision 0015).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.cli.commands import (
    CommandFactory,
    Loader,
    Subcommands,
    on_store,
    reporting_unavailable,
)
from monitor.config import Config
from monitor.observability import configure_logging
from monitor.store import (
    DatabaseStats,
    RetentionReport,
    Store,
    migrate_store,
    render_migration,
    run_retention,
)


def add_commands(commands: Subcommands, command: CommandFactory, load: Loader) -> None:
    """Register ``db stats``, ``db prune`` and ``db vacuum`` on the top-level parser."""
    db = commands.add_parser("db", help="database size, retention and upkeep")
    actions = db.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    stats = command(actions, "stats", "database size, pages and rows per table", _stats)
    stats.add_argument("--json", action="store_true", help="one JSON object")
    prune = command(actions, "prune", "prune old rows once, by the [retention] ages", _prune)
    prune.add_argument("--dry-run", action="store_true", help="count what would go; delete none")
    vacuum = command(actions, "vacuum", "rebuild the database file compactly (daemon stopped)",
                     _vacuum)  # fmt: skip
    migrate = command(actions, "migrate", "apply pending schema migrations", _migrate)
    for parser in (stats, prune, vacuum, migrate):
        parser.set_defaults(load=load)


def stats_record(stats: DatabaseStats) -> dict[str, Any]:
    """The statistics as plain JSON values; keys are stable for scripts."""
    return {
        "backend": stats.backend,
        "location": stats.location,
        "schema_version": stats.schema_version,
        "size_bytes": stats.size_bytes,
        "wal_bytes": stats.wal_bytes,
        "page_size": stats.page_size,
        "page_count": stats.page_count,
        "free_pages": stats.free_pages,
        "auto_vacuum": stats.auto_vacuum,
        "rows": dict(stats.rows),
        "alerts_by_state": dict(stats.alerts_by_state),
        "deliveries_by_state": dict(stats.deliveries_by_state),
        "oldest_article": _iso(stats.oldest_article),
        "newest_article": _iso(stats.newest_article),
        "article_bodies": stats.article_bodies,
        "article_body_bytes": stats.article_body_bytes,
    }


def render_stats(record: dict[str, Any]) -> str:
    """The statistics as an operator reads them."""
    lines = [
        f"database    {record['location']} "
        f"({record['backend']}, schema {record['schema_version']})",
        f"size        {_bytes(record['size_bytes'])} + WAL {_bytes(record['wal_bytes'])}; "
        f"{record['page_count']:,} pages of {record['page_size']:,} bytes, "
        f"{record['free_pages']:,} free; auto_vacuum {record['auto_vacuum']}",
        f"articles    oldest {_short(record['oldest_article'])}, "
        f"newest {_short(record['newest_article'])}; "
        f"{record['article_bodies']:,} with page text ({_bytes(record['article_body_bytes'])})",
        f"alerts      {_states(record['alerts_by_state'])}",
        f"deliveries  {_states(record['deliveries_by_state'])}",
        "",
        f"{'table':<16}{'rows':>12}",
    ]
    lines += [f"{table:<16}{rows:>12,}" for table, rows in record["rows"].items()]
    return "\n".join(lines)


def render_prune(report: RetentionReport) -> str:
    counts = ", ".join(f"{kind} {rows:,}" for kind, rows in report.pruned.items())
    if report.dry_run:
        return f"would prune: {counts}"
    more = "" if report.complete else " (the per-run cap stopped it; run again for the rest)"
    return f"pruned: {counts}; {report.reclaimed_pages:,} free pages given back{more}"


def _states(counts: dict[str, int]) -> str:
    return ", ".join(f"{state} {n:,}" for state, n in counts.items())


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def _short(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def _with_store(
    args: argparse.Namespace,
    work: Callable[[Config, Store], Awaitable[int]],
    *,
    read_only: bool = False,
) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1
    configure_logging("warning", config.settings.log.format)  # stdout is the answer
    return on_store(config.settings.store, lambda store: work(config, store), read_only=read_only)


def _stats(args: argparse.Namespace) -> int:
    async def work(_config: Config, store: Store) -> int:
        record = stats_record(await store.database_stats())
        print(json.dumps(record, ensure_ascii=False) if args.json else render_stats(record))
        return 0

    return _with_store(args, work, read_only=True)


def _prune(args: argparse.Namespace) -> int:
    async def work(config: Config, store: Store) -> int:
        settings = config.settings
        window = timedelta(hours=settings.dedup.window_hours)
        now = datetime.now(UTC)
        report = await run_retention(
            store, settings.retention, now, window=window, dry_run=args.dry_run
        )
        print(render_prune(report))
        return 0

    return _with_store(args, work, read_only=args.dry_run)


def _vacuum(args: argparse.Namespace) -> int:
    async def work(_config: Config, store: Store) -> int:
        before = await store.database_stats()
        await store.vacuum()
        after = await store.database_stats()
        print(
            f"vacuumed: {_bytes(before.size_bytes)} → {_bytes(after.size_bytes)}; "
            f"auto_vacuum {after.auto_vacuum}",
            file=sys.stdout,
        )
        return 0

    return _with_store(args, work)


def _migrate(args: argparse.Namespace) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1
    configure_logging("warning", config.settings.log.format)

    def migrate() -> int:
        print(render_migration(*asyncio.run(migrate_store(config.settings.store))))
        return 0

    return reporting_unavailable(migrate)
