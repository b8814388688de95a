"""Dedup against a real store: exact keys first, then the story index; why it decided."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from monitor.config.settings import DedupSettings
from monitor.records.models import Verdict
from monitor.stories.dedup import Deduplicator, story_id_for
from tests.support.dedup_articles import NOW, PROBE, make_article, sqlite_store


async def test_deduplicator_classifies_new_seen_and_folded(tmp_path: Path) -> None:
    store = await sqlite_store(tmp_path / "dedup.db")
    dedup = Deduplicator(store, DedupSettings())
    first = make_article(
        "a1", "http://one/feed", "g1", "Iranian troops arrive in Latakia", "http://one/story"
    )
    decision = await dedup.classify(first)
    assert decision.verdict is Verdict.NEW_STORY
    assert decision.story_id == story_id_for("a1")
    await store.record_article(first, decision, [])
    dedup.remember(first, decision)

    again = await dedup.classify(first)
    assert (again.verdict, again.duplicate_of, again.evidence) == (Verdict.SEEN, "a1", "guid")
    same_link = make_article("a2", "http://two/feed", "g9", "Other words", "http://one/story")
    linked = await dedup.classify(same_link)
    assert (linked.verdict, linked.evidence) == (Verdict.FOLDED, "link")
    variant = make_article(
        "a3", "http://three/feed", "g3", "BREAKING: Iranian troops arrive in Latakia"
    )
    folded = await dedup.classify(variant)
    assert (folded.verdict, folded.story_id, folded.duplicate_of, folded.evidence) == (
        Verdict.FOLDED,
        decision.story_id,
        "a1",
        "same_headline",
    )
    await store.close()


async def test_a_feed_that_changes_guids_is_recognised_by_its_content(tmp_path: Path) -> None:
    store = await sqlite_store(tmp_path / "fp.db")
    dedup = Deduplicator(store, DedupSettings())
    lead = "Monitors counted six cargo flights at the coastal airbase overnight."
    first = make_article("a1", "http://one/feed", "rand-1", "Cargo flights land", summary=lead)
    await store.record_article(first, await dedup.classify(first), [])
    regenerated = replace(first, article_id="a2", guid="rand-2")
    decision = await dedup.classify(regenerated)
    assert (decision.verdict, decision.evidence) == (Verdict.SEEN, "fingerprint")
    await store.close()


async def test_deduplicator_warms_its_index_from_the_stored_window(tmp_path: Path) -> None:
    path = tmp_path / "warm.db"
    store = await sqlite_store(path)
    dedup = Deduplicator(store, DedupSettings())
    for number, title in enumerate(
        ["Iranian troops arrive in Latakia", "UPDATE 1-Iranian troops arrive in Latakia airbase"]
    ):
        article = make_article(f"a{number}", f"http://{number}/feed", "g", title)
        decision = await dedup.classify(article)
        await store.record_article(article, decision, [])
        dedup.remember(article, decision)
    await store.close()

    reopened = await sqlite_store(path)
    fresh = Deduplicator(reopened, DedupSettings())
    assert await fresh.load(NOW) == 1
    assert fresh.index.entries == 2
    variant = make_article("a9", "http://9/feed", "g9", "Iranian troops arrive in Latakia (AFP)")
    assert (await fresh.classify(variant)).verdict is Verdict.FOLDED
    await reopened.close()


OTHER_NEWS = [
    "Oil climbs to three-week high on supply worries",
    "Tirana hosts Balkan trade summit",
    "Hamas officials meet mediators in Cairo",
    "Football: Aleppo side reaches national cup semi-final",
    "Floods close schools across northern Italy",
    "Central bank holds rates steady as inflation eases",
]


@pytest.mark.parametrize(
    ("title", "joined_by", "floor"),
    [
        ("BREAKING: " + PROBE, "same_headline", None),
        ("Iranian troops arrive in Latakia as the Homs offensive nears", "near_identical", 88.0),
        ("Homs offensive nears: Iranian troops land at Latakia airbase", "related", 40.0),
    ],
)
async def test_a_decision_says_why_the_article_joined_and_the_score_that_decided(
    tmp_path: Path, title: str, joined_by: str, floor: float | None
) -> None:
    """The story index's judgements carry their 0-100 score, at least the threshold that
    admitted them (token-sort ratio 88, IDF cosine 0.4); equality carries none."""
    store = await sqlite_store(tmp_path / "why.db")
    dedup = Deduplicator(store, DedupSettings(title_similarity=88, related_similarity=0.4))
    for number, other in enumerate(OTHER_NEWS):  # the window's word rarity
        background = make_article(f"b{number}", "http://bg/feed", f"b{number}", other)
        dedup.remember(background, dedup.decide(background, None))
    first = make_article("a1", "http://one/feed", "g1", PROBE)
    opened = dedup.decide(first, None)
    dedup.remember(first, opened)
    decision = dedup.decide(make_article("a2", "http://two/feed", "g2", title), None)
    await store.close()
    assert (opened.joined_by, opened.score) == ("new_story", None)
    assert (decision.joined_by, decision.story_id) == (joined_by, opened.story_id)
    if floor is None:
        assert decision.score is None
    else:
        assert decision.score is not None and floor <= decision.score <= 100.0


async def test_a_decision_from_the_store_says_which_key_matched(tmp_path: Path) -> None:
    store = await sqlite_store(tmp_path / "keys.db")
    dedup = Deduplicator(store, DedupSettings())
    lead = "Monitors counted six cargo flights at the coastal airbase overnight."
    first = make_article("a1", "http://one/feed", "g1", "Cargo flights land", "http://one/1", lead)
    await store.record_article(first, await dedup.classify(first), [])
    copies = [
        (replace(first, article_id="a2"), "same_guid"),
        (make_article("a3", "http://two/feed", "x", "Other words", "http://one/1"), "same_link"),
        (replace(first, article_id="a4", guid="g4", link=""), "same_fingerprint"),
    ]
    for copy, joined_by in copies:
        decision = await dedup.classify(copy)
        assert (decision.joined_by, decision.score) == (joined_by, None)
    await store.close()
