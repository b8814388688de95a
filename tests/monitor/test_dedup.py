"""Dedup: headline normalisation, the near-identical story index, and exact matches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import DedupSettings
from monitor.dedup import Deduplicator, StoryIndex, normalise_headline, story_id_for
from monitor.models import Article, Verdict
from monitor.sqlite_store import SqliteStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("UPDATE 2-Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("BREAKING: Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("WATCH: Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("EXCLUSIVE-Iranian troops land in Latakia", "iranian troops land in latakia"),
        ("Iranian troops land in Latakia (AFP)", "iranian troops land in latakia"),
        (
            "Iranian troops land at Latakia airport ahead of offensive - Levant Wire",
            "iranian troops land at latakia airport ahead of offensive",
        ),
        (
            "Iranian troops land at Latakia airport ahead of offensive | Gulf Dispatch",
            "iranian troops land at latakia airport ahead of offensive",
        ),
        ("“Alép” under fire, says monitor", "alep under fire says monitor"),
        ("Short - headline", "short headline"),
    ],
)
def test_normalise_headline_strips_wire_decorations(raw: str, expected: str) -> None:
    assert normalise_headline(raw) == expected


def _index() -> StoryIndex:
    return StoryIndex(timedelta(hours=48), threshold=88)


@pytest.mark.parametrize(
    ("first", "second", "folded"),
    [
        (
            "Iranian troops arrive in Latakia as army readies Homs offensive",
            "UPDATE 1-Iranian troops arrive in Latakia as army readies Homs offensive - Lw Wire",
            True,
        ),
        (
            "Iranian troops arrive in Latakia as army readies Homs offensive",
            "Army readies Homs offensive as Iranian troops arrive in Latakia",
            True,
        ),
        (
            "Air strikes north of Homs kill 14 civilians",
            "Air strikes north of Homs kill 40 civilians",
            False,
        ),
        (
            "Russian jets strike rebel towns north of Homs",
            "Russian jets strike rebel towns south of Idlib",
            False,
        ),
        (
            "Football: Damascus club wins cup final",
            "Iranian troops arrive in Latakia as army readies Homs offensive",
            False,
        ),
    ],
)
def test_story_index_folds_only_near_identical_headlines(
    first: str, second: str, folded: bool
) -> None:
    index = _index()
    index.add("s1", "a1", first, NOW)
    found = index.find(second, NOW + timedelta(hours=1))
    assert (found is not None and found.story_id == "s1") is folded


def test_story_index_ignores_stories_outside_the_window() -> None:
    index = _index()
    index.add("s1", "a1", "Iranian troops arrive in Latakia", NOW)
    assert index.find("Iranian troops arrive in Latakia", NOW + timedelta(hours=49)) is None


def test_prune_drops_stale_stories_and_their_postings() -> None:
    index = _index()
    index.add("old", "a1", "Iranian troops arrive in Latakia", NOW - timedelta(hours=60))
    index.add("new", "a2", "Russian jets strike near Homs", NOW)
    assert index.prune(NOW) == 1
    assert len(index) == 1
    assert index.find("Iranian troops arrive in Latakia", NOW) is None


def _article(article_id: str, feed: str, guid: str, title: str, link: str = "") -> Article:
    return Article(
        article_id=article_id,
        feed_url=feed,
        feed_name=feed,
        guid=guid,
        title=title,
        link=link,
        summary="",
        content="",
        published=None,
        fetched_at=NOW,
    )


async def test_deduplicator_classifies_new_seen_and_folded(tmp_path: object) -> None:
    store = SqliteStore(str(tmp_path) + "/dedup.db")  # type: ignore[operator]
    await store.open()
    dedup = Deduplicator(store, DedupSettings())
    first = _article(
        "a1", "http://one/feed", "g1", "Iranian troops arrive in Latakia", "http://one/story"
    )
    decision = await dedup.classify(first)
    assert decision.verdict is Verdict.NEW_STORY
    assert decision.story_id == story_id_for("a1")
    await store.record_article(first, decision, [])
    dedup.remember(first, decision)

    again = await dedup.classify(first)
    assert (again.verdict, again.duplicate_of) == (Verdict.SEEN, "a1")
    same_link = _article("a2", "http://two/feed", "g9", "Other words", "http://one/story")
    assert (await dedup.classify(same_link)).verdict is Verdict.FOLDED
    variant = _article(
        "a3", "http://three/feed", "g3", "BREAKING: Iranian troops arrive in Latakia"
    )
    folded = await dedup.classify(variant)
    assert (folded.verdict, folded.story_id, folded.duplicate_of) == (
        Verdict.FOLDED,
        decision.story_id,
        "a1",
    )
    await store.close()


async def test_deduplicator_warms_its_index_from_the_store(tmp_path: object) -> None:
    path = str(tmp_path) + "/warm.db"  # type: ignore[operator]
    store = SqliteStore(path)
    await store.open()
    first = _article("a1", "http://one/feed", "g1", "Iranian troops arrive in Latakia")
    dedup = Deduplicator(store, DedupSettings())
    await store.record_article(first, await dedup.classify(first), [])
    await store.close()

    reopened = SqliteStore(path)
    await reopened.open()
    fresh = Deduplicator(reopened, DedupSettings())
    assert await fresh.load(NOW) == 1
    variant = _article("a2", "http://two/feed", "g2", "Iranian troops arrive in Latakia (AFP)")
    assert (await fresh.classify(variant)).verdict is Verdict.FOLDED
    await reopened.close()


@pytest.mark.parametrize(
    ("first", "second", "folded"),
    [
        (
            "Putin orders drone strikes on Daraa villages",
            "Quds Force orders drone strikes on Daraa villages",
            False,
        ),
        (
            "Hezbollah fighters join army offensive south of Aleppo",
            "Hezbollah fighters join Syrian army offensive south of Aleppo",
            True,
        ),
        (
            "Iranian Troops Arrive In Latakia Ahead Of Offensive",
            "Iranian troops arrive in Latakia ahead of offensive",
            True,
        ),
    ],
)
def test_a_substituted_name_vetoes_the_merge_an_added_one_does_not(
    first: str, second: str, folded: bool
) -> None:
    index = _index()
    index.add("s1", "a1", first, NOW)
    assert (index.find(second, NOW) is not None) is folded
