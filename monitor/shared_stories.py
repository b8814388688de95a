"""A daemon's story index kept in step with the other daemons sharing its PostgreSQL store.

:class:`SharedStories` is what ``monitor.postgres_story_sync`` tells about articles other
daemons stored: they join the index (so the next article of that story folds into it),
and a write about to open a story one of them already tells is refused and retried
(docs/decisions/0017-leases.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from monitor.dedup import Deduplicator
from monitor.headlines import lead_of
from monitor.models import Article, DedupDecision, Verdict
from monitor.store import WindowArticle

# Evidence on which the index folds two headlines (``StoryIndex.compare``); "related" is
# included: a needless retry costs a poll, a missed one a second story.
_SAME_STORY = frozenset({"same_headline", "near_identical", "update", "related"})


@runtime_checkable
class WatchedStories(Protocol):
    """A store shared with other daemons, which tells a watch of the articles they store."""

    def watch_stories(self, watch: SharedStories) -> None: ...


class SharedStories:
    """Articles stored by other daemons, learned by this daemon's dedup index."""

    def __init__(self, dedup: Deduplicator) -> None:
        self.dedup = dedup  # not its index: a reload replaces that

    def learn(self, articles: Sequence[WindowArticle]) -> None:
        for item in articles:
            lead = lead_of(item.summary, item.title)
            self.dedup.index.add(item.story_id, item.first_article_id, item.title, item.seen, lead)

    def conflicts(
        self, articles: Sequence[WindowArticle], records: Sequence[tuple[Article, DedupDecision]]
    ) -> bool:
        """Whether an article about to open a story reports one of ``articles``' stories."""
        opening = [article for article, decision in records
                   if decision.verdict is Verdict.NEW_STORY]  # fmt: skip
        ours = {decision.story_id for _, decision in records}
        theirs = [item for item in articles if item.story_id not in ours]
        return any(self._same(article, item) for article in opening for item in theirs)

    def _same(self, article: Article, other: WindowArticle) -> bool:
        lead = lead_of(article.summary, article.title)
        other_lead = lead_of(other.summary, other.title)
        return self.dedup.index.compare(article.title, other.title, lead, other_lead) in _SAME_STORY
