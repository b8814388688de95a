"""``wirewatch surges``: what fired and what is rising now; ``surges backtest``: what would
have fired over the stored articles with the current ``[surge]`` settings.

    wirewatch surges [--config PATH] [--since 24h] [--json]
    wirewatch surges backtest [--config PATH] [--since 30d] [--json]

Both only read: the store is opened read-only (no migrations, no writes), so they work
beside the daemon, on a full disk and on a read-only file. "Rising" is read from the
detector state the daemon last saved (``[surge] save_interval``). ``--json`` prints one
object per surge (:func:`surge_record`), the same fields for every state. Exit status 0,
or 1 for an invalid config, a store out of reach or a bad ``--since``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.api import ListedState, rising_now, surge_record
from monitor.cli.commands import CommandFactory, Loader, on_store, parse_since
from monitor.config import Config
from monitor.store import Store
from monitor.surges import Rising, SurgeStateError
from notifiers import single_line


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: CommandFactory,
    load: Loader,
) -> None:
    """Register ``surges`` and ``surges backtest`` on the top-level parser."""
    surges = command(commands, "surges", "list surges that fired and what is rising", _list)
    # No defaults under backtest: a subcommand's default would override the value given
    # before it (``surges --since 7d backtest``); each command fills in its own --since.
    surges.add_argument("--since", help="a duration (90m, 24h, 7d) or a date (default 24h)")
    surges.add_argument("--json", action="store_true", help="one JSON object per surge")
    actions = surges.add_subparsers(dest="surges_action", metavar="ACTION")
    backtest = command(
        actions, "backtest", "what the detector would have fired over stored articles", _backtest
    )
    backtest.add_argument(
        "--since", default=argparse.SUPPRESS, help="how far back: 30d, 36h, 2w, or a date "
        "(default 30d)",
    )  # fmt: skip
    backtest.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="one JSON object per surge"
    )
    for parser in (surges, backtest):
        parser.set_defaults(load=load)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _since(text: str) -> datetime | None:
    try:
        return parse_since(text, datetime.now(UTC))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return None


def _list(args: argparse.Namespace) -> int:
    since = _since(args.since or "24h")
    config: Config | None = args.load(args)
    if since is None or config is None:
        return 1

    async def show(store: Store) -> int:
        fired = await store.list_surges(since)
        rising = await _rising(config, store, datetime.now(UTC))
        records = [surge_record(ListedState.FIRED, s) for s in fired]
        records += [surge_record(ListedState.RISING, r) for r in rising]
        span = f"since {_short(_iso(since))} UTC"
        print_records(records, args.json, (ListedState.FIRED, ListedState.RISING), span)
        return 0

    return on_store(config.settings.store, show, read_only=True)


async def _rising(config: Config, store: Store, now: datetime) -> list[Rising]:
    """What the daemon's last saved detector state says is rising now."""
    try:
        return await rising_now(config, store, now)
    except SurgeStateError as err:
        print(f"wirewatch: the saved surge state cannot be read ({err})", file=sys.stderr)
        return []


def _backtest(args: argparse.Namespace) -> int:
    since = _since(args.since or "30d")
    config: Config | None = args.load(args)
    if since is None or config is None:
        return 1
    # Imported here: it loads the ingest path, which the other commands do not need.
    from monitor.cli.surge_backtest import run_surge_backtest  # noqa: PLC0415

    async def replay(store: Store) -> int:
        fired = await run_surge_backtest(config, store, since)
        records = [surge_record(ListedState.WOULD_FIRE, surge) for surge in fired]
        span = f"over the articles stored since {_short(_iso(since))} UTC"
        print_records(records, args.json, (ListedState.WOULD_FIRE,), span)
        return 0

    return on_store(config.settings.store, replay, read_only=True)


def print_records(
    records: Sequence[dict[str, Any]], as_json: bool, states: Sequence[ListedState], span: str
) -> None:
    """``records`` as JSON lines, or under one heading per state in ``states``."""
    if as_json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return
    for state in states:
        chosen = [record for record in records if record["state"] == state]
        print(_heading(state, len(chosen), span))
        for record in chosen:
            print("\n".join(_lines(record)))


def _heading(state: ListedState, count: int, span: str) -> str:
    what = {
        ListedState.FIRED: f"fired {span}",
        ListedState.WOULD_FIRE: f"would have fired {span}",
        ListedState.RISING: "rising now",
    }
    return f"{count} {'surge' if count == 1 else 'surges'} {what[state]}:"


def _lines(record: dict[str, Any]) -> list[str]:
    counts = f"{record['count']} reports, {record['expected']:.1f} expected"
    if record["outlets"] is not None:
        counts = f"{record['count']} reports from {record['outlets']} outlets, "
        counts += f"{record['expected']:.1f} expected"
    head = f"  {record['kind']:<5}  {single_line(record['label'], 60)}  {counts}"
    head += f" (score {record['score']:.1f})"
    if record["window_start"] is None:
        lines = [head + f"  {single_line(record['rule'], 80)}"]
        if record["folded_into"] is not None:  # as its alert would be: in its story's
            title = record["folded_into"]["title"] or record["folded_into"]["story_id"]
            lines.append(f"      folded into the story: {single_line(title, 100)}")
        return lines
    window = f"{_short(record['window_start'])}–{_short(record['window_end'])[11:]} UTC"
    lines = [
        head,
        f"      window {window}; {single_line(record['rule'], 80)}; id {record['surge_id']}",
    ]
    for story in record["top_stories"]:
        lines.append(f"      · {single_line(story['title'], 100)} ({story['outlets']} outlets)")
    if record["top_outlets"]:
        lines.append(f"      outlets: {single_line(', '.join(record['top_outlets']), 160)}")
    return lines


def _short(iso: str) -> str:
    return iso[:16].replace("T", " ")
