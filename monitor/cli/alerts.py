"""Operator commands for alerting: ``alerts``, ``silence add|list|remove``, ``notify test``.

    wirewatch alerts [--since 24h|DATE] [--state pending|sent|dead|silenced] [--json]
    wirewatch alerts mark ID useful|false_positive|duplicate [--note TEXT]  (cli.feedback)
    wirewatch silence add (--rule NAME | --story ID) [--notifier NAME] --for 2h --reason TEXT
    wirewatch silence list [--all]
    wirewatch silence remove ID
    wirewatch notify test NAME

They open the store the daemon uses (SQLite in WAL mode: safe beside a running
daemon); ``alerts`` and ``silence list`` open it read-only, so they work on a full disk
or a read-only file. Exit status 0, or 1 for an invalid config, a store out of reach,
an unknown alert, silence or notifier, or a failed test send; 2 for wrong usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import notifiers
from monitor.alerting import parse_duration
from monitor.cli.commands import CommandFactory, Loader, on_store, parse_since
from monitor.cli.feedback import add_mark
from monitor.config import Config, DaemonSettings
from monitor.feeds import http_client
from monitor.observability import Redactor
from monitor.records import AlertRecord, Feedback, Silence
from monitor.store import STATES, AlertListing, Store


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: CommandFactory,
    load: Loader,
) -> None:
    """Register ``alerts``, ``silence`` and ``notify`` on the top-level parser."""
    alerts = command(commands, "alerts", "list recent alerts and their deliveries", _alerts)
    alerts.add_argument("--since", default="24h", help="a duration (90m, 24h, 7d) or a date")
    alerts.add_argument("--state", choices=STATES, help="only alerts with a delivery in it")
    alerts.add_argument("--json", action="store_true", help="one JSON object per alert")
    judge = alerts.add_subparsers(dest="alerts_action", metavar="ACTION")
    mark = add_mark(judge, command)
    silence = commands.add_parser("silence", help="suppress alerts for a while")
    actions = silence.add_subparsers(dest="silence_action", required=True, metavar="ACTION")
    add = command(actions, "add", "silence a rule, story or notifier until it expires", _add)
    add.add_argument("--rule", default="", metavar="NAME", help="the rule to silence")
    add.add_argument("--story", default="", metavar="ID", help="the story to silence")
    add.add_argument("--notifier", default="", metavar="NAME", help="only on this notifier")
    add.add_argument("--for", dest="duration", required=True, help="how long: 30m, 2h, 1d")
    add.add_argument("--reason", required=True, help="why (shown in list and logs)")
    listing = command(actions, "list", "list active silences", _list)
    listing.add_argument("--all", action="store_true", help="expired ones too")
    remove = command(actions, "remove", "lift a silence before it expires", _remove)
    remove.add_argument("silence_id", type=int, metavar="ID")
    notify = commands.add_parser("notify", help="try a notifier")
    notify_actions = notify.add_subparsers(dest="notify_action", required=True, metavar="ACTION")
    test = command(notify_actions, "test", "send a test alert through one notifier", _test)
    test.add_argument("name", metavar="NAME", help="the [notifiers.NAME] table")
    for parser in (alerts, mark, add, listing, remove, test):
        parser.set_defaults(load=load)


def _with_store(
    args: argparse.Namespace,
    work: Callable[[Config, Store], Awaitable[int]],
    *,
    read_only: bool = False,
) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1
    return on_store(config.settings.store, lambda store: work(config, store), read_only=read_only)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _alerts(args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since, datetime.now(UTC))
    except ValueError as err:
        return _fail(str(err))

    async def work(config: Config, store: Store) -> int:
        listings = await store.list_alerts(since, args.state)
        for listing in listings:
            print(json.dumps(_json(listing)) if args.json else _text(listing))
        if not listings and not args.json:
            print(f"no alerts since {since.isoformat(timespec='seconds')}")
        return 0

    return _with_store(args, work, read_only=True)


def _text(listing: AlertListing) -> str:
    alert = listing.alert
    title = notifiers.single_line(listing.title, 100)
    event = _event_words(alert)
    lines = [
        f"{alert.created_at.isoformat(timespec='seconds')}  {alert.alert_id}  "
        f"{alert.severity.upper()}  {alert.rule}  {event}  {title}"
    ]
    for delivery in listing.deliveries:
        line = f"    {delivery.notifier:<14} {delivery.state:<9} attempts={delivery.attempts}"
        if delivery.state == "pending":
            line += f"  next={delivery.next_attempt_at.isoformat(timespec='seconds')}"
            line += f"  hold={delivery.hold}" if delivery.hold else ""
        if delivery.last_error:
            line += "  " + notifiers.single_line(f"last_error={delivery.last_error}", 200)
        lines.append(line)
    if listing.verdict is not None:
        lines.append("    " + _verdict_words(listing.verdict))
    return "\n".join(lines)


def _verdict_words(verdict: Feedback) -> str:
    """ "verdict false_positive by cli at 2026-…: the note" (the latest verdict)."""
    when = verdict.judged_at.isoformat(timespec="seconds")
    text = f"verdict {verdict.verdict.value} by {verdict.judged_by} at {when}"
    return notifiers.single_line(f"{text}: {verdict.note}" if verdict.note else text, 300)


def feedback_json(verdict: Feedback) -> dict[str, Any]:
    """One verdict as ``alerts --json`` (and the API) show it."""
    return {
        "verdict": verdict.verdict.value,
        "note": verdict.note,
        "judged_by": verdict.judged_by,
        "judged_at": verdict.judged_at.isoformat(),
    }


def _event_words(alert: AlertRecord) -> str:
    """ "new", "surge" (a surge's alert: ``wirewatch surges`` shows it), or the update."""
    if alert.is_surge:
        return "surge"
    return "new" if alert.event == "new" else f"update {alert.event}"


def _json(listing: AlertListing) -> dict[str, Any]:
    alert = listing.alert
    return {
        "alert_id": alert.alert_id,
        "story_id": alert.story_id,
        "rule": alert.rule,
        "severity": alert.severity,
        "event": "new" if alert.is_surge else alert.event,  # a surge's alert is a first alert
        "surge_id": alert.surge_id,  # the surge (``wirewatch surges``) it carries, else null
        "reason": alert.reason,
        "title": listing.title,
        "created_at": alert.created_at.isoformat(),
        "deliveries": [
            {
                "notifier": d.notifier,
                "state": d.state,
                "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at.isoformat(),
                "hold": d.hold,
                "last_error": d.last_error,
                "batch_id": d.batch_id,
            }
            for d in listing.deliveries
        ],
        # The latest verdict (null: none yet) and every verdict, oldest first.
        "verdict": feedback_json(listing.verdict) if listing.verdict else None,
        "feedback": [feedback_json(verdict) for verdict in listing.feedback],
    }


def _add(args: argparse.Namespace) -> int:
    if not (args.rule or args.story):
        return _fail("a silence needs --rule or --story")
    try:
        duration = parse_duration(args.duration)
    except ValueError as err:
        return _fail(str(err))

    async def work(config: Config, store: Store) -> int:
        if args.rule and args.rule not in {rule.name for rule in config.ruleset.rules}:
            return _fail(f"unknown rule {args.rule!r}")
        if args.notifier and args.notifier not in config.notifiers:
            return _fail(f"unknown notifier {args.notifier!r}")
        now = datetime.now(UTC)
        silence = await store.add_silence(
            Silence(
                reason=args.reason,
                created_at=now,
                expires_at=now + duration,
                rule=args.rule,
                story_id=args.story,
                notifier=args.notifier,
            )
        )
        print(f"silence {silence.silence_id} added: {_describe(silence)}")
        return 0

    return _with_store(args, work)


def _describe(silence: Silence) -> str:
    scope = [f"{label} {value}" for label, value in
             (("rule", silence.rule), ("story", silence.story_id), ("notifier", silence.notifier))
             if value]  # fmt: skip
    until = silence.expires_at.isoformat(timespec="seconds")
    reason = notifiers.single_line(silence.reason, 200)
    return f"{', '.join(scope)} until {until} — {reason}"


def _list(args: argparse.Namespace) -> int:
    async def work(config: Config, store: Store) -> int:
        now = datetime.now(UTC)
        silences = await store.silences(None if args.all else now)
        for silence in silences:
            state = "" if silence.active(now) else "  (expired)"
            print(f"{silence.silence_id}  {_describe(silence)}{state}")
        if not silences:
            print("no silences")
        return 0

    return _with_store(args, work, read_only=True)


def _remove(args: argparse.Namespace) -> int:
    async def work(config: Config, store: Store) -> int:
        if not await store.remove_silence(args.silence_id):
            return _fail(f"no silence {args.silence_id}")
        print(f"silence {args.silence_id} removed")
        return 0

    return _with_store(args, work)


def test_alert(name: str) -> notifiers.Alert:
    """A harmless, clearly labelled alert for ``notify test``; unique id, so never deduped."""
    now = datetime.now(UTC)
    return notifiers.Alert(
        alert_id=f"test-{uuid.uuid4().hex[:16]}",
        story_id="test",
        rule="notify-test",
        severity="low",
        title=f"wirewatch test alert for notifier {name}",
        link="",
        summary="If you can read this, wirewatch can reach this channel.",
        feed="wirewatch",
        published=now,
        first_seen=now,
        matched_terms=("test",),
    )


def _test(args: argparse.Namespace) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1
    conf = config.notifiers.get(args.name)
    if conf is None:
        return _fail(f"no notifier {args.name!r} (known: {', '.join(sorted(config.notifiers))})")
    if not conf.enabled:
        return _fail(f"notifier {args.name!r} is disabled (enabled = false)")
    return asyncio.run(_send_test(args.name, conf, config.settings.daemon))


async def _send_test(name: str, conf: notifiers.NotifierConfig, daemon: DaemonSettings) -> int:
    redact = Redactor(conf.secret_values())
    async with http_client(daemon) as http:  # as the daemon sends: its User-Agent
        channel = notifiers.build_notifier(name, conf, http=http)
        try:
            await channel.send(test_alert(name))
        except notifiers.NotifyError as err:
            return _fail(f"{name} ({conf.type}): {redact(str(err))}")
        finally:
            await channel.aclose()
    print(f"sent a test alert through {name} ({conf.type})")
    return 0
