"""``wirewatch feeds import FILE.opml`` and ``wirewatch feeds export``: feed lists in and
out in the format every reader uses (monitor.config.opml).

    wirewatch feeds import FILE.opml [--to feeds.d/opml.toml] [--dry-run] [--json]
    wirewatch feeds export > feeds.opml

``import`` appends the file's new feeds, as ``[[feeds]]`` tables, to an include file (by
default ``feeds.d/opml.toml`` beside the config file), never to the config file itself;
the config file's ``include`` must match it (``include = ["feeds.d/*.toml"]``), else
nothing is kept. The whole configuration is loaded again with the new feeds before the
command ends: if it is not valid, the include file goes back to what it was. Feeds
already configured, twice in the file, or not feeds at all are reported and skipped.
A running daemon reads them on its next reload. Exit status 0 (even when entries were
skipped); 1 for an invalid config, a file that is not readable OPML (or declares XML
entities), a target that is not included or would break the config; 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.cli.commands import CommandFactory, Subcommands
from monitor.config import (
    Config,
    ConfigError,
    OpmlError,
    OpmlFeed,
    OpmlList,
    load_config,
    needs_credentials,
    read_opml,
    write_opml,
)

DEFAULT_TARGET = "feeds.d/opml.toml"


def add_opml(actions: Subcommands, command: CommandFactory) -> list[argparse.ArgumentParser]:
    """``feeds import`` and ``feeds export`` under the ``feeds`` command's ``actions``."""
    bring = command(actions, "import", "add the feeds of an OPML file to an include file", _import)
    bring.add_argument("file", metavar="FILE.opml", help="an OPML export of a feed reader")
    bring.add_argument(
        "--to", default=DEFAULT_TARGET, metavar="PATH",
        help=f"the include file to append to, relative to the config file ({DEFAULT_TARGET})",
    )  # fmt: skip
    bring.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    bring.add_argument("--json", action="store_true", help="the report as one JSON object")
    send = command(actions, "export", "print every configured feed as OPML 2.0", _export)
    return [bring, send]


@dataclass
class Plan:
    """What an import does: the feeds to add, and each entry skipped, why."""

    added: list[OpmlFeed] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def plan_import(config: Config, listed: OpmlList) -> Plan:
    """The feeds of ``listed`` not configured yet; the rest reported."""
    plan = Plan(duplicates=list(listed.repeated), invalid=list(listed.invalid))
    configured = {feed.url for feed in config.settings.feeds}
    for entry in listed.feeds:
        if entry.url in configured:
            label = entry.name or "(untitled)"
            plan.duplicates.append(f"{entry.url} ({label!r}): already configured")
        else:
            plan.added.append(entry)
    return plan


def toml_tables(feeds: list[OpmlFeed], source: str, now: datetime) -> str:
    """``[[feeds]]`` tables for ``feeds``, after a comment saying where they came from."""
    lines = [f"\n# {len(feeds)} feeds imported from {_string(source)} on {now:%Y-%m-%d %H:%M} UTC"]
    for feed in feeds:
        lines += ["[[feeds]]", f"url = {_string(feed.url)}"]
        lines += [f"name = {_string(feed.name)}"] if feed.name else []
        if feed.tags:
            lines.append(f"tags = [{', '.join(_string(tag) for tag in feed.tags)}]")
        lines.append("")
    return "\n".join(lines)


def _string(text: str) -> str:
    """A TOML basic string: every control character escaped (DEL too, as TOML asks)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return (
        '"'
        + "".join(f"\\u{ord(c):04X}" if ord(c) < 32 or ord(c) == 127 else c for c in escaped)
        + '"'
    )


def _import(args: argparse.Namespace) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1
    target = Path(config.path).parent / args.to
    if target.resolve() == Path(config.path).resolve():
        return _fail(f"{args.to} is the config file itself; feeds go into an include file")
    try:
        listed = read_opml(Path(args.file).read_bytes())
    except OSError as err:
        return _fail(f"{args.file}: cannot read: {err.strerror or type(err).__name__}")
    except OpmlError as err:
        return _fail(f"{args.file}: {err}")
    plan = plan_import(config, listed)
    if plan.added and not args.dry_run:
        tables = toml_tables(plan.added, Path(args.file).name, datetime.now(UTC))
        failure = _append_checked(config.path, target, tables, {feed.url for feed in plan.added})
        if failure:
            return _fail(failure)
    print(json.dumps(_json(plan, target, args.dry_run), ensure_ascii=False) if args.json
          else _text(plan, target, args.dry_run))  # fmt: skip
    return 0


def _text(plan: Plan, target: Path, dry_run: bool) -> str:
    lines = [f"duplicate: {line}" for line in plan.duplicates]
    lines += [f"invalid: {line}" for line in plan.invalid]
    verb = "would add" if dry_run else "added"
    skipped = f"{len(plan.duplicates)} duplicates and {len(plan.invalid)} invalid entries"
    lines.append(f"{verb} {len(plan.added)} feeds to {target}; skipped {skipped}")
    if plan.added and not dry_run:
        lines.append(
            "a running daemon reads them on reload: systemctl reload wirewatch, or kill -HUP"
        )
    return "\n".join(lines)


def _json(plan: Plan, target: Path, dry_run: bool) -> dict[str, Any]:
    """What ``feeds import --json`` prints: one object."""
    added = [{"url": feed.url, "name": feed.name, "tags": list(feed.tags)} for feed in plan.added]
    return {"target": str(target), "dry_run": dry_run, "added": added,
            "duplicates": plan.duplicates, "invalid": plan.invalid}  # fmt: skip


def _append_checked(config_path: str, target: Path, tables: str, urls: set[str]) -> str:
    """Append ``tables`` to ``target`` and load the config again; on any problem, put the
    file back as it was and say what went wrong ("" when all went well)."""
    before = target.read_text(encoding="utf-8") if target.exists() else None
    made = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, (before or "") + tables)
    try:
        loaded = {feed.url for feed in load_config(config_path).settings.feeds}
    except ConfigError as err:
        _restore(target, before, made)
        problems = "\n  ".join(err.errors)
        return f"the config would not be valid with these feeds, nothing kept:\n  {problems}"
    if not urls <= loaded:
        _restore(target, before, made)
        pattern = f"{target.parent.name}/*.toml"
        return (f"{target} is not included by {config_path}, nothing kept; add it to the"
                f' config\'s include list, e.g. include = ["{pattern}"]')  # fmt: skip
    return ""


def _write(target: Path, text: str) -> None:
    """Replace ``target`` in one step: a crash leaves the old file or the new, never half."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, target)


def _restore(target: Path, before: str | None, made: list[Path]) -> None:
    """``target`` as it was (gone, if it was not there), with the folders made for it."""
    if before is None:
        target.unlink(missing_ok=True)
    else:
        _write(target, before)
    for folder in made:  # innermost first
        folder.rmdir()


def _export(args: argparse.Namespace) -> int:
    config: Config | None = args.load(args)
    if config is None:
        return 1
    feeds = config.settings.feeds
    sys.stdout.write(write_opml(feeds))
    hidden = sum(1 for feed in feeds if needs_credentials(feed))
    if hidden:
        print(f"note: {hidden} feeds need credentials or headers, which OPML does not carry"
              " (left out of their URLs)", file=sys.stderr)  # fmt: skip
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1
