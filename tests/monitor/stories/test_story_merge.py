"""Two pieces of one event merged into one story (decision 0070), on both stores: the
bridging report's verdict names the story it absorbed; the store records the merge and
re-points the absorbed story's articles; its id answers with the survivor; and a restart
from the store, from a snapshot taken before the merge (the rest replayed), from one
taken after it, and another daemon learning the stored articles all hold the stories
the live index holds, so the next report goes where it would have gone without them.
Real embeddings of headlines written for these tests."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import DedupSettings
from monitor.feeds.normalise import content_fingerprint
from monitor.records import MatchKind
from monitor.records.models import Article, DedupDecision, Verdict
from monitor.store.interface import Store
from monitor.store.postgres.store import PostgresStore
from monitor.store.records import StoryFilter
from monitor.stories import SharedStories, WatchedStories
from monitor.stories.dedup import Deduplicator, story_id_for
from monitor.stories.embedding import encode_headlines
from monitor.stories.index import StoryIndex
from monitor.stories.warmup import StoryWarmup
from tests.monitor.stories.test_split_stories import LOOK_ALIKE, NEWER_PIECE, OLDER_PIECE, REPORT
from tests.support.stores import STORE_BACKENDS, new_store, store_location
from tests.support.window_background import BACKGROUND, NOW

# A report near-identical to the newer piece's second headline: without the merge (or
# after a restart that rebuilt the pieces apart) it would join the newer piece.
PROBE = "Eruption sends lava toward Grindavik on Reykjanes peninsula overnight"
_TITLES = BACKGROUND + OLDER_PIECE + NEWER_PIECE + LOOK_ALIKE + [REPORT, PROBE]
_VECTORS = dict(zip(_TITLES, encode_headlines(_TITLES), strict=True))
END = NOW + timedelta(hours=1)


class _Written:
    stale = False

    async def flushed(self) -> None:
        return None


def _article(number: int, title: str, at: datetime) -> Article:
    article_id = f"m{number}"
    return Article(
        article_id=article_id, feed_url=f"http://outlet-{number}.test/feed",
        feed_name=f"Outlet {number}", guid=article_id, title=title,
        link=f"http://outlet-{number}.test/{article_id}", summary="", content="",
        published=at, fetched_at=at, fingerprint=content_fingerprint(title, ""),
        language="en", embedding=_VECTORS[title],
    )  # fmt: skip


def _stream() -> list[Article]:
    """The background three hours before, the older piece, the newer piece, a minute apart."""
    early = [_article(n, t, NOW - timedelta(hours=3)) for n, t in enumerate(BACKGROUND)]
    pieces = OLDER_PIECE + NEWER_PIECE
    start = len(early)
    return early + [
        _article(start + n, t, NOW + timedelta(minutes=n)) for n, t in enumerate(pieces)
    ]


BRIDGE = _article(90, REPORT, NOW + timedelta(minutes=30))
OLDER = story_id_for(f"m{len(BACKGROUND)}")
NEWER = story_id_for(f"m{len(BACKGROUND) + len(OLDER_PIECE)}")


async def _store_all(store: Store, dedup: Deduplicator, articles: list[Article]) -> None:
    """Each article stored and remembered; the two pieces of the event as two stories
    (as a report's words can first split an event: forced here, the rest decided)."""
    pieces = dict.fromkeys(OLDER_PIECE, OLDER) | dict.fromkeys(NEWER_PIECE, NEWER)
    for article in articles:
        decision = await dedup.classify(article)
        story = pieces.get(article.title)
        if story is not None:
            opens = story == story_id_for(article.article_id)
            first = article.article_id if opens else _first(story)
            verdict = Verdict.NEW_STORY if opens else Verdict.FOLDED
            decision = replace(decision, verdict=verdict, story_id=story, duplicate_of=first,
                               evidence=MatchKind.RELATED, absorbed=())  # fmt: skip
        await store.record_article(article, decision, [])
        dedup.remember(article, decision)


def _first(story: str) -> str:
    return f"m{len(BACKGROUND)}" if story == OLDER else f"m{len(BACKGROUND) + len(OLDER_PIECE)}"


def _stories(index: StoryIndex) -> dict[str, list[str]]:
    """Each story's windowed headlines, in the order the index holds them."""
    return {
        story_id: [index._entries[serial].headline for serial in story.members]
        for story_id, story in sorted(index._stories.items())
    }


def _next(index: StoryIndex) -> tuple[str, MatchKind] | None:
    found = index.find(PROBE, END, language="en", vector=_VECTORS[PROBE])
    return None if found is None else (found.story_id, found.kind)


def test_the_index_merges_the_newer_piece_into_the_older_and_the_next_report_follows() -> None:
    index = StoryIndex(timedelta(hours=48), threshold=88)
    pieces = dict.fromkeys(OLDER_PIECE, OLDER) | dict.fromkeys(NEWER_PIECE, NEWER)
    for article in _stream():
        story = pieces.get(article.title, story_id_for(article.article_id))
        index.add(story, story, article.title, article.fetched_at, language="en",
                  vector=article.embedding)  # fmt: skip
    assert _next(index) == (NEWER, MatchKind.NEAR_IDENTICAL)  # before the merge
    found = index.find(REPORT, BRIDGE.fetched_at, language="en", vector=BRIDGE.embedding)
    assert found is not None and (found.story_id, found.absorbed) == (OLDER, (NEWER,))
    index.add(OLDER, OLDER, REPORT, BRIDGE.fetched_at, language="en",
              vector=BRIDGE.embedding, absorbed=found.absorbed)  # fmt: skip
    assert NEWER not in index._stories
    assert len(index._stories[OLDER].members) == len(OLDER_PIECE + NEWER_PIECE) + 1
    assert _next(index) == (OLDER, MatchKind.NEAR_IDENTICAL)


@pytest.mark.parametrize(("late_bar", "merged"), [(0.6, True), (math.inf, False)])
def test_a_one_article_piece_the_report_reaches_is_merged_into_the_story_it_joins(
    late_bar: float, merged: bool
) -> None:
    """Decision 0093: the newer piece's first report alone, a story of one article; the
    bridge's words reach it and the older piece, and its vector is close to the older
    piece's (the 0070 merge of grown pieces switched off, so only the late merge acts)."""
    index = StoryIndex(timedelta(hours=48), threshold=88)
    index.merge_bar, index.late_bar = math.inf, late_bar
    alone = story_id_for("alone")
    for article in _stream()[: len(BACKGROUND) + len(OLDER_PIECE) + 1]:
        story = OLDER if article.title in OLDER_PIECE else story_id_for(article.article_id)
        story = alone if article.title == NEWER_PIECE[0] else story
        index.add(story, story, article.title, article.fetched_at, language="en",
                  vector=article.embedding)  # fmt: skip
    found = index.find(REPORT, BRIDGE.fetched_at, language="en", vector=BRIDGE.embedding)
    assert found is not None and found.story_id == OLDER
    assert found.absorbed == ((alone,) if merged else ())


@pytest.mark.parametrize("late_bar", [0.6, -1.0])
def test_a_report_as_close_to_two_one_article_pieces_merges_neither(late_bar: float) -> None:
    """Decision 0093's guard: the newer piece's two reports as two one-article stories,
    both reached by the bridge's words and both within ``late_bar`` of the older piece
    (-1: any vector): close to several pieces is a subject's, so none is absorbed."""
    index = StoryIndex(timedelta(hours=48), threshold=88)
    index.merge_bar, index.late_bar = math.inf, late_bar
    for article in _stream():
        story = OLDER if article.title in OLDER_PIECE else story_id_for(article.article_id)
        index.add(story, story, article.title, article.fetched_at, language="en",
                  vector=article.embedding)  # fmt: skip
    pieces = [s for s in index._stories.values() if len(s.members) == 1
              and index._entries[s.members[0]].headline in map(str.lower, NEWER_PIECE)]  # fmt: skip
    assert len(pieces) == 2
    found = index.find(REPORT, BRIDGE.fetched_at, language="en", vector=BRIDGE.embedding)
    assert found is not None and found.story_id == OLDER
    assert found.absorbed == ()
    index.late_bar = math.inf
    alone = index.find(REPORT, BRIDGE.fetched_at, language="en", vector=BRIDGE.embedding)
    assert alone == found  # the same verdict as with the late merge off


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_merge_is_stored_and_every_restart_path_gives_the_live_stories(
    backend: str, tmp_path: Path
) -> None:
    before, after = tmp_path / "before.stories", tmp_path / "after.stories"
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        dedup = Deduplicator(store, DedupSettings())
        if isinstance(store, WatchedStories):  # as the daemon shares its store's stories
            store.watch_stories(SharedStories(dedup))
        other = new_store(backend, location)  # another daemon on the same store
        await other.open()
        learner = Deduplicator(other, DedupSettings())
        if isinstance(other, PostgresStore):
            other.watch_stories(SharedStories(learner))
        await _store_all(store, dedup, _stream())
        await _snapshot(store, dedup, before)
        late = _article(91, PROBE, BRIDGE.fetched_at)
        if isinstance(other, PostgresStore):
            # It learns the two pieces apart, and decides a report into the newer piece
            # before the merge is stored: written after, the report goes to the survivor.
            (known,) = await other.find_articles([late])  # as a batch is looked up
            late_decision = learner.decide(late, known)
            assert late_decision.story_id == NEWER
            learner.remember(late, late_decision)

        decision = await dedup.classify(BRIDGE)
        assert (decision.verdict, decision.story_id, decision.absorbed) == (
            Verdict.FOLDED, OLDER, (NEWER,))  # fmt: skip
        await store.record_article(BRIDGE, decision, [])
        dedup.remember(BRIDGE, decision)
        await _snapshot(store, dedup, after)

        answered = await store.find_stories(StoryFilter(story_id=NEWER), limit=1)
        assert [story.story_id for story in answered] == [OLDER]
        assert NEWER not in {s.story_id for s in await store.find_stories(StoryFilter())}
        members = [item.title for item in await store.story_articles(OLDER)]
        assert sorted(members) == sorted(OLDER_PIECE + NEWER_PIECE + [REPORT])
        assert await store.story_articles(NEWER) == []

        live = _stories(dedup.index)
        assert _next(dedup.index) == (OLDER, MatchKind.NEAR_IDENTICAL)
        restarted = [await _warmed(store, path) for path in (tmp_path / "none", before, after)]
        for index in restarted:
            assert _stories(index) == live
            assert _next(index) == _next(dedup.index)
        if isinstance(other, PostgresStore):
            await other.record_article(late, late_decision, [])  # learns the merge first
            learned = _stories(learner.index)  # the late report in its arrival's place
            assert {k: sorted(v) for k, v in learned.items()} == {
                k: sorted([*v, PROBE.lower()] if k == OLDER else v) for k, v in live.items()
            }
            assert PROBE in [item.title for item in await store.story_articles(OLDER)]
        await other.close()
        await store.close()


async def _snapshot(store: Store, dedup: Deduplicator, path: Path) -> None:
    warmup = StoryWarmup(store, dedup, path, lambda: END)
    warmup.ready = True  # as if warmed
    await warmup.save(asyncio.Lock(), _Written())


async def _warmed(store: Store, path: Path) -> StoryIndex:
    """A fresh index warmed at END: from the snapshot at ``path`` if there is one (the
    articles stored after it replayed), else from the store."""
    dedup = Deduplicator(store, DedupSettings())
    await StoryWarmup(store, dedup, path, lambda: END).warm()
    return dedup.index


class _TwoDaemons:
    """A daemon deciding (``store``, ``dedup``) and, on PostgreSQL, another one learning
    what the first stores (``learner``), as a second daemon of a shared store would."""

    def __init__(self, store: Store, other: Store) -> None:
        self.store, self.other = store, other
        self.dedup = Deduplicator(store, DedupSettings())
        self.learner = Deduplicator(other, DedupSettings())
        if isinstance(other, PostgresStore):
            other.watch_stories(SharedStories(self.learner))

    async def record(self, article: Article, decision: DedupDecision) -> None:
        await self.store.record_article(article, decision, [])
        self.dedup.remember(article, decision)
        if isinstance(self.other, PostgresStore):
            await self.other.find_articles([article])  # the other daemon catches up

    async def indexes(self, snapshot: Path) -> list[StoryIndex]:
        """The live index, one warmed from the store, and the learner's (PostgreSQL)."""
        indexes = [self.dedup.index, await _warmed(self.store, snapshot)]
        if isinstance(self.other, PostgresStore):
            indexes.append(self.learner.index)
        return indexes


@contextlib.asynccontextmanager
async def _two_daemons(backend: str, tmp_path: Path) -> AsyncIterator[_TwoDaemons]:
    async with store_location(backend, tmp_path) as location:
        store, other = new_store(backend, location), new_store(backend, location)
        await store.open()
        await other.open()
        try:
            yield _TwoDaemons(store, other)
        finally:
            await other.close()
            await store.close()


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_survivor_newer_than_the_story_it_absorbs_takes_its_first_report(
    backend: str, tmp_path: Path
) -> None:
    """Decision 0093: a one-article story opened before the story a later report joins is
    merged into that newer story; the survivor's first_seen, first article and title are
    the absorbed story's, in the store, the live index, a warm-up and another daemon."""
    early = _article(1, NEWER_PIECE[0], NOW)
    opener = _article(2, OLDER_PIECE[0], NOW + timedelta(minutes=10))
    bridge = _article(3, REPORT, NOW + timedelta(minutes=30))
    alone, joined = story_id_for("m1"), story_id_for("m2")
    decisions = [
        DedupDecision(Verdict.NEW_STORY, alone),
        DedupDecision(Verdict.NEW_STORY, joined),
        DedupDecision(Verdict.FOLDED, joined, "m2", MatchKind.RELATED, absorbed=(alone,)),
    ]
    async with _two_daemons(backend, tmp_path) as pair:
        for article, decision in zip((early, opener, bridge), decisions, strict=True):
            await pair.record(article, decision)

        (story,) = await pair.store.find_stories(StoryFilter(story_id=joined), limit=1)
        assert (story.story_id, story.first_seen) == (joined, early.fetched_at)
        assert (story.link, story.title) == (early.link, early.title)
        (absorbed,) = await pair.store.find_stories(StoryFilter(story_id=alone), limit=1)
        assert absorbed.first_seen == early.fetched_at  # /stories/<absorbed> answers alike
        indexes = await pair.indexes(tmp_path / "none")
        assert [index._stories[joined].first_article_id for index in indexes] == ["m1"] * len(
            indexes
        )


@pytest.mark.parametrize("backend", STORE_BACKENDS)
async def test_a_survivor_whose_first_report_left_the_window_keeps_it_after_a_late_merge(
    backend: str, tmp_path: Path
) -> None:
    """Decision 0093: the survivor's first report came before the one-article story it
    absorbs and has left the 48 h window, its other members after; the index (live,
    warmed, another daemon's) keeps it as the story's first article, as the store keeps
    its first_seen: later folds name it (``duplicate_of``)."""
    opener = _article(1, OLDER_PIECE[0], NOW - timedelta(hours=47, minutes=45))
    alone_report = _article(2, NEWER_PIECE[0], NOW)
    second = _article(3, OLDER_PIECE[1], NOW + timedelta(minutes=5))
    bridge = _article(4, REPORT, NOW + timedelta(minutes=30))  # the opener is 48 h old
    joined, alone = story_id_for("m1"), story_id_for("m2")
    decisions = [
        DedupDecision(Verdict.NEW_STORY, joined),
        DedupDecision(Verdict.NEW_STORY, alone),
        DedupDecision(Verdict.FOLDED, joined, "m1", MatchKind.RELATED),
        DedupDecision(Verdict.FOLDED, joined, "m1", MatchKind.RELATED, absorbed=(alone,)),
    ]
    async with _two_daemons(backend, tmp_path) as pair:
        articles = (opener, alone_report, second, bridge)
        for article, decision in zip(articles, decisions, strict=True):
            for index in (pair.dedup.index, pair.learner.index):
                index.prune(article.fetched_at)  # the opener leaves just before the bridge
            await pair.record(article, decision)

        (story,) = await pair.store.find_stories(StoryFilter(story_id=joined), limit=1)
        assert (story.first_seen, story.link) == (opener.fetched_at, opener.link)
        for index in await pair.indexes(tmp_path / "none"):
            assert len(index._stories[joined].members) == 3  # all but the opener, pruned
            found = index.find(PROBE, END, language="en", vector=_VECTORS[PROBE])
            assert found is not None
            assert (found.story_id, found.first_article_id) == (joined, "m1")
