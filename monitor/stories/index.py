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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from monitor.records import MatchKind
from monitor.stories import evidence, merging, whole
from monitor.stories.evidence import Entry, IndexedStory, Query, Rarity, judge, meaning
from monitor.stories.queries import probe_entry
from monitor.stories.semantic import decoded
from monitor.stories.whole import StoryWhole, story_vector, story_whole, with_centroid
from monitor.stories.window import ArticleWindow

_NEIGHBOURS = 16  # nearest headlines by meaning judged per lookup
# Two stories a report's words both reach tell one event when their vectors (centroids)
# are this close: the report joins the older (decision 0070). Chosen on the slice's tuned
# rows (0.80 cost precision; 0.90 gains less).
_ONE_EVENT = 0.85
# A bridged story is merged into the oldest (not only passed over) when its vector and the
# oldest's are this close (decision 0070, "Built: the merge").
_MERGE_BAR = 0.85
# ... and the bridging report's own vector is this close to the story it absorbs: chosen
# on the tuned rows (0.6: precision 0.9849; 0.75 and 0.8 recall less or lose precision).
_MERGE_OWN = 0.7
# A one-article story the report's words also reach is merged into the story it joins when
# its vector is this close to that story's (decision 0093; 0.5: precision lost).
_LATE_BAR = 0.6
# A report nothing else joins joins the story that holds at least ``_AGREEING`` of its
# nearest headlines by meaning, each within ``_CLOSE`` cosine and none told apart by a
# detail, more than any other story holds (decision 0082). Chosen on the tuned rows:
# 0.70 first; 0.68 once the target axis of directions bought its precision (decision 0091);
# 0.67, 0.66 or two members: precision lost.
_AGREEING = 3
_CLOSE = 0.68

# A module constant, read for every candidate: an Enum's attribute costs ten times a global.
_VETO = MatchKind.VETO


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """The story an article joins, and on what evidence."""

    story_id: str
    first_article_id: str
    kind: MatchKind  # same_headline, near_identical, update, related, semantic or shared_names
    score: float
    # Newer stories this report shows to be pieces of ``story_id``'s event, merged into it
    # when the report is added (docs/decisions/0070-where-recall-is-lost.md), oldest first.
    absorbed: tuple[str, ...] = ()


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
        exact: bool = False,
    ) -> None:
        super().__init__(window, by_meaning=by_meaning, wholes=wholes, exact=exact)
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
        self.merge_bar = _MERGE_BAR  # above 1: a bridge steers but merges nothing (0070)
        self.merge_own = _MERGE_OWN
        self.late_bar = _LATE_BAR  # above 1: no one-article piece merged late (0093)
        self.neighbours = True  # False: no join by several close members (decision 0082)

    def add(
        self,
        story_id: str,
        first_article_id: str,
        title: str,
        seen: datetime,
        lead: str = "",
        *,
        language: str = "",
        vector: bytes = b"",
        stored: datetime | None = None,
        absorbed: Sequence[str] = (),
        opened: datetime | None = None,
    ) -> None:
        """Index an article (``ArticleWindow.add``), first merging into its story the
        stories it ``absorbed`` (its verdict's, or as the store recorded it)."""
        if absorbed:
            self.merge(story_id, absorbed)
        super().add(story_id, first_article_id, title, seen, lead, language=language,
                    vector=vector, stored=stored, opened=opened)  # fmt: skip

    def merge(self, survivor_id: str, absorbed: Sequence[str]) -> int:
        """``merging.merge`` in this index; how many stories were merged."""
        merged = merging.merge(self._stories, self._entries, survivor_id, absorbed)
        if merged:
            self._refresh(self._stories[survivor_id])
        return merged

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
        embedding = self._decoded(vector) if self.by_meaning else None  # kept for add
        found, vetoed = self._best(query, seen.timestamp(), idf, embedding)
        if found is None and embedding is not None:
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

    def _best(
        self, query: Query, seen: float, idf: Rarity, embedding: npt.NDArray[np.float32] | None
    ) -> tuple[StoryMatch | None, set[str]]:
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
        best = max(allowed, key=lambda pair: pair[0].score)
        return self._steered(best, allowed, embedding), vetoed

    def _steered(
        self,
        best: tuple[StoryMatch, IndexedStory],
        allowed: list[tuple[StoryMatch, IndexedStory]],
        embedding: npt.NDArray[np.float32] | None,
    ) -> StoryMatch:
        """``best``, or the oldest story the report's words reach too when the two stories,
        taken as wholes, tell one event (their vectors' cosine ≥ ``one_event``): a story
        split early then grows in one piece, not in whichever is nearest to each report;
        the other stories it reaches that are as close to the oldest (≥ ``merge_bar``) are
        absorbed into it (decision 0070); else one one-article story it reaches (0093)."""
        if not (self.by_meaning and self.wholes):
            return best[0]
        match = self._to_oldest(best, allowed, embedding)
        if match.absorbed:
            return match
        joined = self._stories[match.story_id]  # a story the report's words reached
        reached = [story for _, story in allowed]
        late = merging.late_piece(joined, reached, self._vectors, self.late_bar)
        return replace(match, absorbed=late) if late else match

    def _to_oldest(
        self,
        best: tuple[StoryMatch, IndexedStory],
        allowed: list[tuple[StoryMatch, IndexedStory]],
        embedding: npt.NDArray[np.float32] | None,
    ) -> StoryMatch:
        stories = sorted({s.story_id: s for _, s in allowed}.values(), key=_age)
        oldest = stories[0]
        theirs = story_vector(oldest, self._vectors) if len(stories) > 1 else None
        if theirs is None:
            return best[0]
        closeness = {oldest.story_id: 1.0}
        vectors = {}
        for story in stories[1:]:
            mine = vectors[story.story_id] = story_vector(story, self._vectors)
            closeness[story.story_id] = -1.0 if mine is None else float(mine @ theirs)
        if closeness[best[1].story_id] < self.one_event:
            return best[0]
        match = max((pair for pair in allowed if pair[1] is oldest), key=lambda p: p[0].score)[0]
        absorbed = tuple(
            s.story_id
            for s in stories[1:]
            if closeness[s.story_id] >= self.merge_bar
            and whole.own_cosine(embedding, vectors[s.story_id]) >= self.merge_own
        )
        if len(absorbed) > 1:  # as close to many stories: a subject's, not one event's
            absorbed = ()
        return replace(match, absorbed=absorbed) if absorbed else match

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
        near: list[tuple[Entry, float]] = []  # judged only when nothing else joins
        for serial, cosine in self._vectors.nearest(vector, _NEIGHBOURS):
            entry = self._entries.get(serial)
            if entry is None or abs(seen - entry.seen) > window:
                continue
            if entry.story.story_id in vetoed:
                continue
            near.append((entry, cosine))
            one_language = evidence.same_language(query, entry)
            if evidence.no_meaning(query, entry, one_language):  # before the story's whole:
                continue  # most neighbours stop here, and a whole reads the vector window
            story = entry.story
            if one_language and story.story_id not in wholes:  # read by one language's bar
                story = with_centroid(story, self._vectors)
                wholes[story.story_id] = story_whole(story, self._entries, vector, length)
            bars = (self._bars(seen - entry.seen)[1], self.across, self.name_easing)
            beat = best.score if best is not None else 0.0  # taken only when passed
            kind, score = evidence.ungated_meaning(query, entry, cosine, idf, bars=bars,
                                                   whole=wholes.get(story.story_id),
                                                   beat=beat)  # fmt: skip
            if kind and (best is None or score > best.score):
                best = StoryMatch(story.story_id, story.first_article_id, kind, score)
        return best if best is not None or not self.neighbours else _agreed(query, near)

    def _bars(self, gap: float) -> tuple[float, float]:
        """The (related, semantic) bars for two reports ``gap`` seconds apart: within the
        hour another report of one subject is most often the same event; days later, an
        embedding's closeness is most often only the same subject (decision 0059)."""
        if abs(gap) <= self.recent.total_seconds():
            return self.related, self.semantic
        return self.later


def _age(story: IndexedStory) -> tuple[list[int], str]:
    """Oldest first: by the story's first windowed member, then by id (no hash order)."""
    return story.members[:1], story.story_id


def _agreed(query: Query, near: list[tuple[Entry, float]]) -> StoryMatch | None:
    """The story most of a report's nearest headlines by meaning (``near``, with their
    cosines) belong to, as evidence when no single headline is (decision 0082): the one
    with the most close members, at least ``_AGREEING`` and more than any other's (a tie
    is no evidence); its score the members' mean cosine. Judged only when nothing else
    joins, and not at all when fewer than ``_AGREEING`` neighbours are close: the detail
    checks were most of the join's cost, and were paid on every lookup."""
    if sum(cosine >= _CLOSE for _, cosine in near) < _AGREEING:
        return None
    close = _close_members(query, near)
    ranked = sorted(((len(members), story_id) for story_id, members in close.items()),
                    key=lambda pair: (-pair[0], pair[1]))  # fmt: skip
    if not ranked or ranked[0][0] < _AGREEING:
        return None
    if len(ranked) > 1 and ranked[1][0] == ranked[0][0]:
        return None
    members = close[ranked[0][1]]
    story, score = members[-1][0], 100 * sum(cosine for _, cosine in members) / len(members)
    return StoryMatch(story.story_id, story.first_article_id, MatchKind.NEIGHBOURS, score)


def _close_members(
    query: Query, near: list[tuple[Entry, float]]
) -> dict[str, list[tuple[IndexedStory, float]]]:
    """By story id, the neighbours within ``_CLOSE`` cosine in the report's language; no
    story one of whose members a detail (directions, names, numbers) tells apart."""
    close: dict[str, list[tuple[IndexedStory, float]]] = {}
    apart: set[str] = set()
    for entry, cosine in near:
        story_id = entry.story.story_id
        if not evidence.same_language(query, entry) or story_id in apart:
            continue
        if evidence.gated(query, entry, True):
            apart.add(story_id)
        elif cosine >= _CLOSE:
            close.setdefault(story_id, []).append((entry.story, cosine))
    return {story_id: members for story_id, members in close.items() if story_id not in apart}
