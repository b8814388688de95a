"""``wirewatch surges backtest``: the stored articles, oldest first, through a fresh surge
detector with the current ``[surge]`` settings; what would have fired.

Each article becomes the sighting the daemon would have made of it (``monitor.ingest``'s
``sighting_of``): its story and independent outlet as stored, the rules it matches now
(``rules backtest``'s matching: the feed's name and tags, outlets counted as it goes),
the names of the rule packs' entity lists it hits, and the places and actors its story
is stored with. The story's names are what the daemon had found by the time it stopped
(the store keeps them per story, not per article), so a name that came late to a story
is credited to its earlier articles too. A story that began before ``--since`` starts
within the window, as in ``rules backtest``.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

import rules
from monitor.cli.backtest import Matching, matched_articles
from monitor.config import Config
from monitor.ingest import Ingested, entity_names, sighting_of
from monitor.records import DedupDecision, StoryFacts, Verdict
from monitor.store import Store, StoredArticle
from monitor.surges import Surge, SurgeDetector


async def run_surge_backtest(config: Config, store: Store, since: datetime) -> list[Surge]:
    """What a fresh detector fires over the articles stored since ``since``: what
    ``monitor.surges.backtest`` does, fed as the pages are read, so memory holds the
    detector's bounded state, not every sighting."""
    matcher = rules.compile_rules(config.ruleset)
    entities = entity_names(config.ruleset)
    detector, names = SurgeDetector(config.settings.surge), _StoryNames(store)
    fired: list[Surge] = []
    matching = Matching(config, matcher, None)
    async for stored, matches in matched_articles(store, since, matching, lambda _: None):
        facts = await names.facts(stored)
        fired += detector.observe(sighting_of(_ingested(stored, facts, matches), entities))
    return fired


def _ingested(stored: StoredArticle, facts: StoryFacts, matches: list[rules.Match]) -> Ingested:
    # FOLDED for every article: the detector does not ask which one opened its story.
    decision = DedupDecision(Verdict.FOLDED, stored.story_id, facts=facts)
    return Ingested(stored.article, decision, tuple(matches), ())


STORIES_KEPT = 20_000  # stories whose names are held at once: a replay meets them in time order


class _StoryNames:
    """Each story's stored places and actors, read when its first article is met and
    kept for the stories met last (at most ``keep``): memory stays bounded over a long
    ``--since``, and a story's articles come close together in time."""

    def __init__(self, store: Store, keep: int = STORIES_KEPT) -> None:
        self._store, self._keep = store, keep
        self._names: OrderedDict[str, tuple[tuple[str, ...], tuple[str, ...]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._names)

    async def facts(self, stored: StoredArticle) -> StoryFacts:
        places, actors = await self._of(stored.story_id)
        return StoryFacts(outlet=stored.outlet, places=places, actors=actors)

    async def _of(self, story_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if story_id in self._names:
            self._names.move_to_end(story_id)
            return self._names[story_id]
        story = await self._store.story(story_id)
        self._names[story_id] = (story.places, story.actors) if story else ((), ())
        if len(self._names) > self._keep:
            self._names.popitem(last=False)  # the story met longest ago
        return self._names[story_id]
