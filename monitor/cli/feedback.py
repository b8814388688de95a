"""Readers' verdicts on alerts: ``alerts mark`` records one, ``rules stats`` counts them.

    wirewatch alerts mark ID useful|false_positive|duplicate [--note TEXT]
    wirewatch rules stats [--since 30d] [--json]

A verdict never replaces an earlier one: each is kept, and the latest counts
(docs/decisions/0047-alert-feedback.md). Exit status 0; 1 for an invalid config, a store
out of reach, an unknown alert or a note too long; 2 for wrong usage (a verdict not in
the list).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from monitor.cli.commands import CommandFactory, Subcommands, on_store, parse_since
from monitor.config import Config
from monitor.records import MAX_NOTE, AlertVerdict, Feedback, RuleFeedback
from monitor.store import Store

CLI_JUDGE = "cli"  # who gave a verdict from the command line (an API token gives its name)


def add_mark(actions: Subcommands, command: CommandFactory) -> argparse.ArgumentParser:
    """``alerts mark`` under the ``alerts`` command's ``actions``."""
    mark = command(actions, "mark", "record a verdict on an alert", _mark)
    mark.add_argument("alert_id", metavar="ID", help="the alert's id (wirewatch alerts)")
    mark.add_argument("verdict", choices=[kind.value for kind in AlertVerdict])
    mark.add_argument("--note", default="", help=f"why (at most {MAX_NOTE} characters)")
    return mark


def add_stats(actions: Subcommands, command: CommandFactory) -> argparse.ArgumentParser:
    """``rules stats`` under the ``rules`` command's ``actions``."""
    stats = command(actions, "stats", "alerts, verdicts and precision per rule", _stats)
    stats.add_argument("--since", default="30d", help="alerts raised since: 30d, 12h, a date")
    stats.add_argument("--json", action="store_true", help="one JSON object per rule")
    return stats


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _on_store(args: argparse.Namespace, work: Any, *, read_only: bool) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1
    return on_store(config.settings.store, lambda store: work(config, store), read_only=read_only)


def _mark(args: argparse.Namespace) -> int:
    if len(args.note) > MAX_NOTE:
        return _fail(f"--note is {len(args.note)} characters; at most {MAX_NOTE}")
    given = Feedback(
        alert_id=args.alert_id, verdict=AlertVerdict(args.verdict), judged_by=CLI_JUDGE,
        judged_at=datetime.now(UTC), note=args.note,
    )  # fmt: skip

    async def work(config: Config, store: Store) -> int:
        kept = await store.record_feedback(given)
        if kept is None:
            return _fail(f"no alert {args.alert_id!r} (wirewatch alerts lists them)")
        print(f"alert {kept.alert_id} ({kept.rule}) marked {kept.verdict.value}")
        return 0

    return _on_store(args, work, read_only=False)


def _stats(args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since, datetime.now(UTC))
    except ValueError as err:
        return _fail(str(err))

    async def work(config: Config, store: Store) -> int:
        counted = {found.rule: found for found in await store.rule_feedback(since)}
        for rule in config.ruleset.rules:  # a configured rule that raised nothing: a zero row
            counted.setdefault(rule.name, RuleFeedback(rule.name, 0))
        table = [counted[name] for name in sorted(counted)]
        if args.json:
            for row in table:
                print(json.dumps(stats_json(row), ensure_ascii=False))
        else:
            print(stats_text(table, since))
        return 0

    return _on_store(args, work, read_only=True)


def stats_json(row: RuleFeedback) -> dict[str, Any]:
    """One rule's counts as ``rules stats --json`` prints them (precision null: no verdict
    useful or false_positive yet)."""
    return {
        "rule": row.rule,
        "alerts": row.alerts,
        "judged": row.judged,
        "verdicts": {kind.value: getattr(row, kind.value) for kind in AlertVerdict},
        "precision": row.precision,
    }


def stats_text(table: list[RuleFeedback], since: datetime) -> str:
    head = f"{'rule':<30} {'alerts':>6} {'useful':>6} {'false+':>6} {'dup':>5} {'precision':>9}"
    lines = [f"alerts raised since {since.isoformat(timespec='seconds')}", head]
    for row in table:
        precision = "-" if row.precision is None else f"{row.precision:.0%}"
        lines.append(
            f"{row.rule:<30} {row.alerts:>6} {row.useful:>6} {row.false_positive:>6} "
            f"{row.duplicate:>5} {precision:>9}"
        )
    lines.append("precision = useful / (useful + false_positive), the latest verdict per alert")
    return "\n".join(lines)
