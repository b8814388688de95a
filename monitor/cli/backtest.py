"""``wirewatch rules backtest``: stored articles replayed through the current rules.

The store is opened read-only (no migrations run; SQLite refuses writes, PostgreSQL
sessions are read-only) and read in pages, oldest first. Each
article is matched with its feed's name and tags from the config and the number of
distinct feeds that had reported its story so far in the window, so ``min_outlets``
rules fire when they would have; like the
daemon, a rule counts one alert per story. Stories that began before the window
start with the outlets seen inside it. The articles table keeps titles, summaries
and the text of the article pages read (``body``) but not content, so rules are tried
on those three fields; a sample whose rule matched the summary or the page quotes it
around the terms found there, as alerts do. Beside each rule and sample: the verdicts
readers gave the alerts the rule really raised (monitor.cli.backtest_feedback).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import rules
from monitor.alerting import make_excerpt
from monitor.cli.backtest_feedback import EarlierVerdicts, earlier_verdicts, verdict_line
from monitor.cli.progress import Progress
from monitor.config import Config
from monitor.records import Article
from monitor.store import Store, StoredArticle, StoreUnavailableError, open_store

PAGE = 500
_SPAN = re.compile(r"(\d+)\s*([mhdw])", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class BacktestError(Exception):
    """The backtest cannot run: bad --since, no store, an unknown rule."""


@dataclass
class RuleTally:
    rule: str
    articles: int = 0  # articles on which it fired
    stories: set[str] = field(default_factory=set)  # stories it would have alerted on
    samples: list[tuple[StoredArticle, rules.Match]] = field(default_factory=list)


@dataclass
class BacktestResult:
    since: datetime
    articles: int
    tallies: dict[str, RuleTally]
    verdicts: dict[str, EarlierVerdicts] = field(default_factory=dict)  # by rule


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``7d``, ``36h``, ``90m``, ``2w`` before now, or an ISO date or date-time (UTC if naive)."""
    now = now or datetime.now(UTC)
    span = _SPAN.fullmatch(text.strip())
    if span:
        return now - timedelta(**{_UNITS[span.group(2).lower()]: int(span.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BacktestError(f"--since {text!r}: give 7d, 36h, 90m, 2w or a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_backtest(
    config: Config, since: datetime, *, rule: str | None = None, stream: TextIO | None = None
) -> BacktestResult:
    """Replay every stored article since ``since``; a progress bar on ``stream`` if a TTY."""
    path = config.settings.store.path
    if config.settings.store.backend == "sqlite" and not Path(path).is_file():
        raise BacktestError(f"no store at {path} (store.path); run the daemon first")
    return asyncio.run(_backtest(config, since, rule, stream))


async def _backtest(
    config: Config, since: datetime, rule: str | None, stream: TextIO | None
) -> BacktestResult:
    path = config.settings.store.path
    matcher = rules.compile_rules(config.ruleset, include_disabled=rule is not None)
    store = open_store(config.settings.store, read_only=True)
    try:
        await store.open()
        total = await store.count_articles_since(since)
        with Progress(total, stream) as progress:
            tallies = await _replay(store, since, Matching(config, matcher, rule), progress.add)
        stories = {name: tally.stories for name, tally in tallies.items()}
        verdicts = await earlier_verdicts(store, stories, since)
    except sqlite3.Error as err:
        raise BacktestError(f"cannot read the store {path}: {err}") from None
    except StoreUnavailableError as err:
        raise BacktestError(str(err)) from None
    finally:
        await store.close()
    return BacktestResult(since, total, tallies, verdicts)


class Matching:
    """Matches articles as the daemon would, counting outlets per story as it goes."""

    def __init__(self, config: Config, matcher: rules.Matcher, rule: str | None) -> None:
        self.matcher = matcher
        self.rule = rule
        self.feeds = {feed.url: feed for feed in config.settings.feeds}
        self.outlets: dict[str, set[str]] = {}

    def __call__(self, stored: StoredArticle) -> list[rules.Match]:
        article = stored.article
        seen = self.outlets.setdefault(stored.story_id, set())
        seen.add(article.feed_url)
        feed = self.feeds.get(article.feed_url)
        context = rules.MatchContext(
            feed_url=article.feed_url,
            feed_name=feed.display_name if feed else article.feed_name,
            feed_tags=feed.tags if feed else (),
            link=article.link,
            outlets=len(seen),
            language=article.language,
        )
        fields = {"title": article.title, "summary": article.summary, "body": article.body}
        if self.rule is None:
            return self.matcher.match(fields, context)
        return [m for m in self.matcher.match(fields, context) if m.rule == self.rule]


async def matched_articles(
    store: Store, since: datetime, match: Matching, advance: Callable[[int], None]
) -> AsyncIterator[tuple[StoredArticle, list[rules.Match]]]:
    """Every article stored since ``since``, oldest first, with the rules it matches,
    read a page at a time (``advance``: how many were read)."""
    after: tuple[datetime, str] | None = None
    while page := await store.articles_since(since, after=after, limit=PAGE):
        for stored in page:
            yield stored, match(stored)
        last = page[-1].article
        after = (last.fetched_at, last.article_id)
        advance(len(page))


async def _replay(
    store: Store, since: datetime, match: Matching, advance: Callable[[int], None]
) -> dict[str, RuleTally]:
    tallies: dict[str, RuleTally] = {}
    async for stored, matches in matched_articles(store, since, match, advance):
        for found in matches:
            _count(tallies.setdefault(found.rule, RuleTally(found.rule)), stored, found)
    return tallies


def _count(tally: RuleTally, stored: StoredArticle, found: rules.Match) -> None:
    tally.articles += 1
    if stored.story_id not in tally.stories:
        tally.stories.add(stored.story_id)
        tally.samples.append((stored, found))


def print_backtest(result: BacktestResult, out: TextIO, *, samples: int = 3) -> None:
    """Per-rule counts, then up to ``samples`` stories each rule would have alerted on."""
    since = result.since.strftime("%Y-%m-%d %H:%M UTC")
    out.write(f"{result.articles:,} stored articles since {since}\n")
    if not result.tallies:
        out.write("no rule would have fired\n")
    for tally in sorted(result.tallies.values(), key=lambda t: (-len(t.stories), t.rule)):
        alerts = f"{len(tally.stories):,} alert{'' if len(tally.stories) == 1 else 's'}"
        out.write(f"\n{tally.rule}: {alerts} ({tally.articles:,} articles)\n")
        judged = result.verdicts.get(tally.rule, EarlierVerdicts())
        out.write(f"  {judged.summary()}\n")
        for stored, found in tally.samples[:samples]:
            article = stored.article
            when = article.fetched_at.strftime("%Y-%m-%d %H:%M")
            terms = ", ".join(found.terms)
            out.write(f"  {when}  {article.feed_name}: {_one_line(article.title)}\n")
            out.write(f"      severity {found.severity}; terms: {terms}\n")
            for line in [
                *_quoted(article, found),
                *verdict_line(judged.by_story.get(stored.story_id)),
            ]:
                out.write(f"      {line}\n")


def _quoted(article: Article, found: rules.Match) -> list[str]:
    """The summary and page text where the rule found terms, each as an alert's excerpt
    around them, the terms in brackets."""
    lines = []
    for name, text in (("summary", article.summary), ("body", article.body)):
        terms = list(dict.fromkeys(hit.term for hit in found.hits if hit.field == name))
        if terms:
            excerpt = make_excerpt(text, terms, article.language)
            marks = [rules.Hit("", None, name, start, end) for start, end in excerpt.marks]
            lines.append(f"{name}: {rules.highlight(excerpt.text, marks, name)}")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())[:160]
