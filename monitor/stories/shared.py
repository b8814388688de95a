"""A daemon's story index kept in step with the other daemons sharing its PostgreSQL store.

:class:`SharedStories` is what ``monitor.store.postgres.story_sync`` tells about articles other
daemons stored: they join the index (so the next article of that story folds into it),
and an article about to open a story one of them already tells is folded into that
story when it is written (docs/decisions/0017-leases.md).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from monitor.records import Article, DedupDecision, Verdict
from monitor.store import OpenedElsewhere, WindowArticle
from monitor.stories.dedup import Deduplicator, add_stored, deciding_score, story_index_for
from monitor.stories.leads import grouping_lead
from monitor.stories.queries import read_text

# Stories other daemons opened are checked against for this long after this daemon
# learned them: longer than any article waits between being decided and being written.
RECENT = timedelta(minutes=5)
_MERGES_KEPT = 10_000  # merges other daemons made, remembered to fold decisions made before


@runtime_checkable
class WatchedStories(Protocol):
    """A store shared with other daemons, which tells a watch of the articles they store."""

    def watch_stories(self, watch: SharedStories) -> None: ...


class SharedStories:
    """Articles stored by other daemons, learned by this daemon's dedup index; a story
    about to be opened that one of those learned lately tells is folded into theirs."""

    def __init__(
        self, dedup: Deduplicator, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.dedup = dedup  # not its index: a reload replaces that
        self.clock = clock
        # Minutes of articles: its vectors scanned exactly, not added to a second graph,
        # which cost as much again as learning into the daemon's own (decision 0077).
        self._recent = story_index_for(dedup.settings, RECENT, exact=True)
        # When each batch was learned (a heap: the earliest first, whatever the clock did):
        # an entry of the recent index is kept by the time it was last learned, so one can
        # be stale only once a batch's time is (decision 0077).
        self._learned: list[datetime] = []
        # Stories other daemons merged into another (decisions 0070, 0093): absorbed id →
        # (survivor, its first article). A decision made before this daemon learned the
        # merge is folded into the survivor when it is written.
        self._merged: dict[str, tuple[str, str]] = {}

    def learn(self, articles: Sequence[WindowArticle]) -> None:
        now = self.clock()
        if articles:
            heapq.heappush(self._learned, now)
        index = self.dedup.index
        with index.adding_together():  # nothing looks up between: one graph call (0084)
            for item in articles:
                # Read once for both indexes: a reading does not depend on what a window holds.
                lead = grouping_lead(item.title, item.summary, item.page_lead)
                reading = read_text(item.title, lead, item.language)
                index.preread((reading,))
                self._recent.preread((reading,))
                add_stored(index, item, item.seen, lead=lead)  # merging what it absorbed
                self._learn_merges(item)
                # By when it was learned: a decision made before then did not know it.
                add_stored(self._recent, item, now, now, lead)

    def _learn_merges(self, item: WindowArticle) -> None:
        if not item.absorbed:
            return
        if len(self._merged) + len(item.absorbed) > _MERGES_KEPT:
            self._merged.clear()
        for story_id in item.absorbed:
            self._merged[story_id] = (item.story_id, item.first_article_id)

    def _survivor(self, story_id: str) -> tuple[str, str] | None:
        """The story ``story_id`` was merged into (after every later merge), if it was."""
        found = None
        for _ in range(len(self._merged)):  # a chain of merges, never a cycle
            later = self._merged.get(story_id)
            if later is None:
                break
            found, story_id = later, later[0]
        return found

    def opened_elsewhere(
        self, records: Sequence[tuple[Article, DedupDecision]]
    ) -> dict[str, OpenedElsewhere]:
        """The stories about to be opened that another daemon opened (learned lately,
        maybe after the article was decided): our story id → theirs."""
        now = self.clock()
        self._prune(now)
        ours = {decision.story_id for _, decision in records}
        found: dict[str, OpenedElsewhere] = {}
        for article, decision in records:
            merged = self._survivor(decision.story_id) if self._merged else None
            if merged is not None and decision.verdict is Verdict.FOLDED:
                found[decision.story_id] = OpenedElsewhere(
                    merged[0], merged[1], decision.evidence, decision.score
                )
            if decision.verdict is not Verdict.NEW_STORY or not self._recent.entries:
                continue  # an empty index finds nothing: its text is not read
            lead = grouping_lead(article.title, article.summary, decision.facts.page_lead)
            match = self._recent.find(
                article.title, now, lead, language=article.language, vector=article.embedding
            )
            if match is not None and match.story_id not in ours:
                found[decision.story_id] = OpenedElsewhere(
                    match.story_id, match.first_article_id, match.kind, deciding_score(match)
                )
        return found

    def _prune(self, now: datetime) -> None:
        """The recent index pruned when a batch in it was learned before the window: its
        prune scans every entry, and this runs for every write that opens a story."""
        horizon = now - RECENT
        if not self._learned or self._learned[0] >= horizon:
            return
        self._recent.prune(now)
        while self._learned and self._learned[0] < horizon:
            heapq.heappop(self._learned)
