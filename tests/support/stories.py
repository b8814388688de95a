"""Builders for alerting tests: articles of one story from several outlets, rule matches,
and a real SQLite store fed through the same alert planner the pipeline uses.

    desk = StoryDesk(store, policy)
    await desk.report("Rebels shell the port", outlet=1, matches=[match("shelling")])
    await desk.report("Port shelled again", outlet=2)        # folded into the same story
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import rules
from monitor.ingest.story_alerts import AlertPolicy
from monitor.records.models import AlertRecord, Article, DedupDecision, StoryFacts, Verdict
from monitor.store.interface import Store

__all__ = ["NOW", "StoryDesk", "article", "match"]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def article(
    title: str, *, outlet: int, number: int, at: datetime = NOW, story: str = "s1"
) -> Article:
    """An article of ``story`` from outlet ``outlet`` (its own feed), its ``number``-th."""
    feed = f"http://outlet-{outlet}.test/feed"
    return Article(
        article_id=f"{story}-a{number}",
        feed_url=feed,
        feed_name=f"Outlet {outlet}",
        guid=f"{story}-g{number}",
        title=title,
        link=f"https://outlet-{outlet}.test/{story}/{number}",
        summary=f"Report number {number}.",
        content="",
        published=at,
        fetched_at=at,
    )


def match(
    rule: str = "port-shelling",
    *,
    severity: str = "medium",
    terms: Sequence[str] = ("shelling",),
    refs: Sequence[str | None] | None = None,
    notifiers: tuple[str, ...] = (),
) -> rules.Match:
    """A rule match with one title hit per term (``refs`` names each term's list)."""
    lists = list(refs) if refs is not None else [None] * len(terms)
    hits = tuple(
        rules.Hit(term, ref, "title", 0, len(term)) for term, ref in zip(terms, lists, strict=True)
    )
    return rules.Match(rule, rules.Severity(severity), notifiers, tuple(terms), hits)


@dataclass
class StoryDesk:
    """Reports articles of one story into a store, planning alerts like the pipeline."""

    store: Store
    policy: AlertPolicy
    story_id: str = "s1"
    clock: datetime = NOW
    reported: int = 0
    first_article: str = field(default="")

    async def report(
        self,
        title: str,
        *,
        outlet: int,
        matches: Sequence[rules.Match] = (),
        after: timedelta = timedelta(minutes=1),
        at: datetime | None = None,
    ) -> list[AlertRecord]:
        """Store one more article of the story (``at``, else ``after`` the last one);
        return the alerts it raised."""
        self.reported += 1
        self.clock = at or (self.clock + after if self.reported > 1 else self.clock)
        item = article(
            title, outlet=outlet, number=self.reported, at=self.clock, story=self.story_id
        )
        first = not self.first_article
        self.first_article = self.first_article or item.article_id
        decision = DedupDecision(
            Verdict.NEW_STORY if first else Verdict.FOLDED,
            self.story_id,
            duplicate_of=None if first else self.first_article,
            facts=StoryFacts(outlet=item.feed_url),
        )
        plan = self.policy.plan(item, decision, matches, self.clock)
        return await self.store.record_article(item, decision, plan)
