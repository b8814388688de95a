"""``wirewatch rules test|try|backtest`` and ``wirewatch schema``: tools for rule writers.

    rules test      run every rule's examples; exit 1 with a diff-style report on failure
    rules try TEXT  explain what the rules make of a text (hits highlighted on a TTY)
    rules backtest  replay stored articles through the current rules; read-only
    rules stats     alerts, readers' verdicts and precision per rule (monitor.cli.feedback)
    schema          JSON Schema of the config file (or of a rule file) for TOML editors

Exit status: 0 success; 1 invalid configuration, a failed example, an unknown rule
or store; 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace

import rules
from monitor.cli.commands import CommandFactory, Loader
from monitor.cli.feedback import add_stats
from monitor.config import Config, FeedSettings

Handler = Callable[[argparse.Namespace], int]


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: CommandFactory,
    load: Loader,
) -> None:
    """Register ``rules`` (with its actions) and ``schema`` on the top-level parser."""
    group = commands.add_parser("rules", help="test, try and backtest the watch rules")
    actions = group.add_subparsers(dest="rules_action", required=True, metavar="ACTION")
    command(actions, "test", "run every rule's must_match / must_not_match examples", _test)
    attempt = command(actions, "try", "explain what the rules make of a text", _try)
    attempt.add_argument("text", metavar="TEXT", help="the text, matched as an article title")
    attempt.add_argument("--rule", metavar="NAME", help="explain this rule, fired or not")
    attempt.add_argument("--summary", default="", help="a summary to match as well")
    attempt.add_argument("--body", default="", help="an article page's text to match as well")
    attempt.add_argument("--outlets", type=int, default=1, help="outlets reporting it (1)")
    attempt.add_argument("--feed", default="", help="the feed name or URL it came from")
    attempt.add_argument(
        "--language", default="", help="the article's language code (default: identified)"
    )
    backtest = command(actions, "backtest", "replay stored articles through the rules", _backtest)
    backtest.add_argument("--since", default="7d", help="how far back: 7d, 36h, 2w, or a date")
    backtest.add_argument("--rule", metavar="NAME", help="only this rule")
    backtest.add_argument("--samples", type=int, default=3, help="samples shown per rule (3)")
    add_stats(actions, command)
    schema = commands.add_parser("schema", help="print the JSON Schema of the config file")
    schema.add_argument("--rule-file", action="store_true", help="the schema of a rule file")
    schema.set_defaults(handler=_schema)
    for parser in (*actions.choices.values(),):
        parser.set_defaults(load=load)


def _test(args: argparse.Namespace) -> int:
    config = args.load(args)
    if config is None:
        return 1
    report = rules.run_examples(config.ruleset)
    for failure in report.failures:
        print(failure.report(), end="\n\n")
    failed = len(report.failures)
    print(f"{report.ran} examples, {report.ran - failed} passed, {failed} failed")
    return 1 if failed else 0


def _try(args: argparse.Namespace) -> int:
    config = args.load(args)
    if config is None:
        return 1
    names = [rule.name for rule in config.ruleset.rules]
    if args.rule and args.rule not in names:
        hint = rules.suggestion(args.rule, names)
        print(f"error: no rule is called {args.rule!r}{hint}", file=sys.stderr)
        return 1
    matcher = rules.compile_rules(config.ruleset, include_disabled=bool(args.rule))
    fields = {"title": args.text, "summary": args.summary, "body": args.body}
    configured = _configured(config, args.feed)
    hint = configured.language if configured else ""  # the feed's setting, for identification
    context = replace(
        _context(configured, args.feed, args.outlets), language=_language(args, fields, hint)
    )
    print(f"language: {context.language or '(unknown)'}", end="\n\n")
    chosen = [args.rule] if args.rule else None
    explanations = matcher.explain(fields, context, chosen)
    shown = [e for e in explanations if args.rule or e.fired]
    color = _color(sys.stdout)
    for explanation in shown:
        print(rules.render_explanation(explanation, fields, color=color), end="\n\n")
    if not args.rule:
        quiet = len(explanations) - len(shown)
        print(f"{len(shown)} rules fire, {quiet} do not (--rule NAME explains one)")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from monitor.cli.backtest import BacktestError, parse_since, print_backtest, run_backtest  # noqa: PLC0415

    config = args.load(args)
    if config is None:
        return 1
    try:
        since = parse_since(args.since)
        if args.rule and args.rule not in {rule.name for rule in config.ruleset.rules}:
            names = [rule.name for rule in config.ruleset.rules]
            raise BacktestError(
                f"no rule is called {args.rule!r}{rules.suggestion(args.rule, names)}"
            )
        result = run_backtest(config, since, rule=args.rule, stream=sys.stderr)
    except BacktestError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print_backtest(result, sys.stdout, samples=args.samples)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from monitor.cli.schema import config_schema, rule_file_schema  # noqa: PLC0415

    schema = rule_file_schema() if args.rule_file else config_schema()
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0


def _configured(config: Config, feed: str) -> FeedSettings | None:
    """The configured feed whose URL or name is ``feed``, if any."""
    return next((s for s in config.settings.feeds if feed and feed in (s.url, s.name)), None)


def _context(settings: FeedSettings | None, feed: str, outlets: int) -> rules.MatchContext:
    if settings is not None:
        return rules.MatchContext(
            settings.url, settings.display_name, settings.tags, "", max(1, outlets)
        )
    return rules.MatchContext(feed_name=feed, outlets=max(1, outlets))


def _language(args: argparse.Namespace, fields: dict[str, str], hint: str) -> str:
    """``--language`` as given, else identified as the daemon would (the feed's setting
    a hint): what a language-scoped rule is checked against."""
    if args.language:
        return str(args.language).strip().lower()
    from monitor.ingest import identify  # noqa: PLC0415  (loads the model only for try)

    return identify("\n".join(text for text in fields.values() if text), hint)


def _color(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ
