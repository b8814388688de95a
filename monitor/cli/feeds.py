"""``wirewatch feeds [--config PATH] [--json]``: each configured feed's health
(``feeds import`` and ``feeds export``, OPML: monitor.cli.opml).

Reads the store the daemon writes (SQLite in WAL mode: safe beside a running daemon),
read-only: it works on a full disk or a read-only file.
Columns: status (ok, failing, gone, disabled, never polled), last attempt, last success,
consecutive failures, last HTTP status, items per day, current interval, next poll, full
text (article pages read / tried since the feed was added, "—" when none was tried) and
the last error. ``--json`` prints one object per feed instead.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from monitor.api import feed_record, feed_states
from monitor.cli.commands import CommandFactory, Loader, on_store
from monitor.cli.opml import add_opml
from monitor.config import Config
from monitor.store import Store

_ERROR_CHARS = 60
_COLUMNS = (
    ("feed", 28), ("status", 12), ("last attempt", 16), ("last success", 16),
    ("fails", 5), ("http", 4), ("items/d", 7), ("every", 7), ("next poll", 16), ("full text", 9),
    ("last error", 0),
)  # fmt: skip


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: CommandFactory,
    load: Loader,
) -> None:
    """Register ``feeds`` on the top-level parser."""
    feeds = command(commands, "feeds", "show each feed's health and schedule", _feeds)
    feeds.add_argument("--json", action="store_true", help="one JSON object per feed")
    lists = feeds.add_subparsers(dest="feeds_action", metavar="ACTION")
    for parser in (feeds, *add_opml(lists, command)):
        parser.set_defaults(load=load)


def render_table(records: Sequence[dict[str, Any]]) -> str:
    header = "  ".join(_cell(name, width) for name, width in _COLUMNS)
    lines = [header, *("  ".join(_row(record)) for record in records)]
    if any(record.get("polled_by") for record in records):  # several daemons share the store
        polled = ["polled by", *(record.get("polled_by") or "-" for record in records)]
        width = max(map(len, polled))
        lines = [f"{_cell(by, width)}  {line}" for by, line in zip(polled, lines, strict=True)]
    return "\n".join(lines)


def _row(record: dict[str, Any]) -> list[str]:
    values = (
        record["feed"], record["status"], _short(record["last_attempt"]),
        _short(record["last_success"]), record["consecutive_failures"],
        record["http_status"] or "-", _number(record["items_per_day"]),
        _duration(record["interval_seconds"]), _short(record["next_poll"]),
        _full_text(record), (record["last_error"] or "")[:_ERROR_CHARS],
    )  # fmt: skip
    return [_cell(str(value), width) for value, (_, width) in zip(values, _COLUMNS, strict=True)]


def _full_text(record: dict[str, Any]) -> str:
    tried = record["pages_tried"]
    return f"{record['pages_read']}/{tried}" if tried else "—"


def _cell(text: str, width: int) -> str:
    # Names and errors come from config and servers: no control characters on a terminal.
    clean = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text)
    if not width:
        return clean
    return (clean[: width - 1] + "…" if len(clean) > width else clean).ljust(width)


def _short(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 60:.0f}m" if seconds >= 60 else f"{seconds:.0f}s"


def _feeds(args: argparse.Namespace) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1

    async def show(store: Store) -> int:
        states, owners = await feed_states(store)
        records = [
            feed_record(feed, states.get(feed.url), owners.get(feed.url))
            for feed in config.settings.feeds
        ]
        if args.json:
            for record in records:
                print(json.dumps(record, ensure_ascii=False))
        else:
            print(render_table(records))
        return 0

    return on_store(config.settings.store, show, read_only=True)
