"""Which story a new article belongs to, among the window's recent ones.

Four kinds of evidence, strongest first (docs/decisions/0006-story-grouping.md):

1. the same headline, once decorations are stripped and case and punctuation folded;
2. a near-identical headline: rapidfuzz token-sort ratio ≥ ``threshold``, vetoed by a
   different number or a substituted name ("kills 14" / "kills 40" is an *update* only
   when nothing else differs and the numbers are casualty counts);
3. the same event in other words: the rare words both headlines (and leads) share,
   weighted by rarity in the window (IDF cosine ≥ ``related``), at least three of
   them and one a name; vetoed by a substituted name, disjoint headline numbers or
   disjoint casualty counts (of headline and lead: two leads' "12 killed" / "30 killed");
4. the same event by meaning, when the words find nothing: the 16 nearest windowed
   headlines by sentence embedding (``monitor.stories.semantic``), in one language the
   cosine averaged with the IDF overlap (≥ ``semantic``), across languages the cosine
   (≥ ``across``), every gate agreeing (docs/decisions/0042-semantic-evidence.md);
   in one language a neighbour's story is also judged as a whole, by the centroid and
   words of its newest members (``monitor.stories.whole``, decision 0046).

In one language the related and semantic bars are lower for reports within ``recent``
of each other than for reports further apart (docs/decisions/0059-recent-reports.md).

Every tier is gated (docs/decisions/0041-story-gates.md): opposed direction words
("rise" / "slide") veto the pair; a name counts as mentioned in any of its spellings
("Turkish" for "Turkey"); numbers are compared as values ("3,5 %" is "3.5%").

A story that holds a near-identical headline vetoed by a detail is a different event:
no weaker evidence may put the article in it.

A report whose words reach two stories that, taken as wholes, tell one event (their
vectors within ``one_event``) joins the older: an event split early then grows in one
piece (docs/decisions/0070-where-recall-is-lost.md).

What the window holds of each article, and how it is kept and pruned, is
``monitor.stories.window``'s; a pair is judged by ``monitor.stories.evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from monitor.records import MatchKind
from monitor.stories import evidence
from monitor.stories.evidence import IndexedStory, Query, Rarity, judge, meaning
from monitor.stories.queries import probe_entry
from monitor.stories.semantic import decoded
from monitor.stories.whole import StoryWhole, story_vector, story_whole, with_centroid
from monitor.stories.window import ArticleWindow

_NEIGHBOURS = 16  # nearest headlines by meaning judged per lookup
# Two stories a report's words both reach tell one event when their vectors (centroids)
# are this close: the report joins the older (decision 0070). Chosen on the slice's tuned
# rows (0.80 cost precision; 0.90 gains less).
_ONE_EVENT = 0.85

# A module constant, read for every candidate: an Enum's attribute costs ten times a global.
_VETO = MatchKind.VETO


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """The story an article joins, and on what evidence."""

    story_id: str
    first_article_id: str
    kind: MatchKind  # same_headline, near_identical, update, related, semantic or shared_names
    score: float


class StoryIndex(ArticleWindow):
    """Recent articles by headline word, pruned to a time window, and the story a new one
    joins."""

    def __init__(
        self,
        window: timedelta,
        threshold: float,
        *,
        related: float = 0.4,
        semantic: float = 0.48,
        across: float = 0.7,
        later: tuple[float, float] = (0.5, 0.52),
        recent: timedelta = timedelta(hours=1),
        by_meaning: bool = True,
        wholes: bool = True,
    ) -> None:
        super().__init__(window, by_meaning=by_meaning, wholes=wholes)
        self.threshold = threshold
        self.related = related
        self.semantic = semantic
        self.across = across
        # Beyond ``recent`` of each other, the (related, semantic) bars are ``later``'s,
        # never lower than the recent ones (docs/decisions/0059-recent-reports.md): the
        # settings reject a later bar written below its recent one; an unset (default)
        # later bar follows a recent one raised above it.
        self.later = (max(later[0], related), max(later[1], semantic))
        self.recent = recent
        self.name_easing = evidence.NAME_EASING  # 0: no rare-name easing (decision 0067)
        self.one_event = _ONE_EVENT  # above 1: no steering to a story's older piece (0070)

    def find(
        self,
        title: str,
        seen: datetime,
        lead: str = "",
        *,
        language: str = "",
        vector: bytes = b"",
    ) -> StoryMatch | None:
        """The story this headline (and lead) reports, if the evidence is strong enough."""
        query = self._query(title, lead, language)
        same = self._same_headline(query, seen.timestamp())
        if same is not None:
            return StoryMatch(same.story_id, same.first_article_id, MatchKind.SAME_HEADLINE, 100.0)
        idf = Rarity(self._postings, len(self._entries))
        found, vetoed = self._best(query, seen.timestamp(), idf)
        embedding = self._decoded(vector) if found is None and self.by_meaning else None
        if embedding is not None:
            found = self._semantic_best(query, embedding, seen.timestamp(), vetoed, idf)
        return found

    def compare(
        self,
        title: str,
        other: str,
        lead: str = "",
        other_lead: str = "",
        *,
        language: str = "",
        other_language: str = "",
        vectors: tuple[bytes, bytes] = (b"", b""),
    ) -> MatchKind:
        """The evidence that two articles report one story (a ``find`` verdict: semantic or
        shared_names only when both headline ``vectors`` are given), VETO when a detail tells
        them apart, or NONE: with the window's rarity and names, as two reports in ``recent``."""
        query = self._query(title, lead, language)
        theirs = self._query(other, other_lead, other_language)
        if query.headline == theirs.headline:
            return MatchKind.SAME_HEADLINE
        entry = probe_entry(theirs)
        idf = Rarity(self._postings, len(self._entries))
        kind = judge(query, entry, idf, self.threshold, self.related)[0]
        mine, other_vector = decoded(vectors[0]), decoded(vectors[1])
        if kind or mine is None or other_vector is None:
            return kind
        cosine = evidence.cosine_of(mine, other_vector)
        found = meaning(query, entry, cosine, idf, same=self.semantic, across=self.across,
                        easing=self.name_easing)[0]  # fmt: skip
        return found or kind

    # -- judging -----------------------------------------------------------------------

    def _best(self, query: Query, seen: float, idf: Rarity) -> tuple[StoryMatch | None, set[str]]:
        vetoed: set[str] = set()
        allowed: list[tuple[StoryMatch, IndexedStory]] = []
        for entry in self._candidates(query, seen):
            story = entry.story
            bar = self._bars(seen - entry.seen)[0]
            kind, score = judge(query, entry, idf, self.threshold, bar)
            if kind is _VETO:
                vetoed.add(story.story_id)
            elif kind:
                match = StoryMatch(story.story_id, story.first_article_id, kind, score)
                allowed.append((match, story))
        allowed = [pair for pair in allowed if pair[0].story_id not in vetoed]
        if not allowed:
            return None, vetoed
        return self._steered(max(allowed, key=lambda pair: pair[0].score), allowed), vetoed

    def _steered(
        self, best: tuple[StoryMatch, IndexedStory], allowed: list[tuple[StoryMatch, IndexedStory]]
    ) -> StoryMatch:
        """``best``, or the oldest story the report's words reach too when the two stories,
        taken as wholes, tell one event (their vectors' cosine ≥ ``one_event``): a story
        split early then grows in one piece, not in whichever is nearest to each report
        (docs/decisions/0070-where-recall-is-lost.md)."""
        oldest = min(allowed, key=lambda pair: (pair[1].members[:1], pair[1].story_id))[1]
        if oldest is best[1] or not (self.by_meaning and self.wholes):
            return best[0]
        mine, theirs = story_vector(best[1], self._vectors), story_vector(oldest, self._vectors)
        if mine is None or theirs is None or float(mine @ theirs) < self.one_event:
            return best[0]
        return max((pair for pair in allowed if pair[1] is oldest), key=lambda p: p[0].score)[0]

    def _semantic_best(
        self,
        query: Query,
        vector: npt.NDArray[np.float32],
        seen: float,
        vetoed: set[str],
        idf: Rarity,
    ) -> StoryMatch | None:
        """The story of the nearest earlier headline by meaning, if close enough and no
        detail tells the two apart (docs/decisions/0042-semantic-evidence.md)."""
        window = self.window.total_seconds()
        best: StoryMatch | None = None
        wholes: dict[str, StoryWhole | None] = {}
        length = float(np.linalg.norm(vector))
        for serial, cosine in self._vectors.nearest(vector, _NEIGHBOURS):
            entry = self._entries.get(serial)
            if entry is None or abs(seen - entry.seen) > window:
                continue
            if entry.story.story_id in vetoed:
                continue
            story = entry.story
            if story.story_id not in wholes:
                story = with_centroid(story, self._vectors)
                wholes[story.story_id] = story_whole(story, self._entries, vector, length)
            whole = wholes[story.story_id]
            same = self._bars(seen - entry.seen)[1]
            kind, score = meaning(query, entry, cosine, idf, same=same, across=self.across,
                                  whole=whole, easing=self.name_easing)  # fmt: skip
            if kind and (best is None or score > best.score):
                best = StoryMatch(story.story_id, story.first_article_id, kind, score)
        return best

    def _bars(self, gap: float) -> tuple[float, float]:
        """The (related, semantic) bars for two reports ``gap`` seconds apart: within the
        hour another report of one subject is most often the same event; days later, an
        embedding's closeness is most often only the same subject (decision 0059)."""
        if abs(gap) <= self.recent.total_seconds():
            return self.related, self.semantic
        return self.later
