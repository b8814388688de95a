"""Dedup against a real store: exact keys first, then the story index; story facts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config.settings import DedupSettings
from monitor.feeds.normalise import content_fingerprint
from monitor.records.models import Article, Verdict
from monitor.store import WindowArticle
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator, story_facts, story_id_for
from monitor.stories.index import StoryIndex, StoryMatch
from monitor.stories.leads import grouping_lead
from monitor.stories.shared import SharedStories
from tests.support.events import ENVOY, LANDING_A, LANDING_B, Report
from tests.support.stores import STORE_BACKENDS, new_store, store_location

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _article(
    article_id: str,
    feed: str,
    guid: str,
    title: str,
    link: str = "",
    summary: str = "",
    feed_name: str = "",
    body: str = "",
) -> Article:
    return Article(
        article_id=article_id,
        feed_url=feed,
        feed_name=feed_name or feed,
        guid=guid,
        title=title,
        link=link,
        summary=summary,
        content="",
        published=None,
        fetched_at=NOW,
        fingerprint=content_fingerprint(title, summary),
        body=body,
    )


async def _store(path: Path) -> SqliteStore:
    store = SqliteStore(str(path))
    await store.open()
    return store


async def test_deduplicator_classifies_new_seen_and_folded(tmp_path: Path) -> None:
    store = await _store(tmp_path / "dedup.db")
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
    assert (again.verdict, again.duplicate_of, again.evidence) == (Verdict.SEEN, "a1", "guid")
    same_link = _article("a2", "http://two/feed", "g9", "Other words", "http://one/story")
    linked = await dedup.classify(same_link)
    assert (linked.verdict, linked.evidence) == (Verdict.FOLDED, "link")
    variant = _article(
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
    store = await _store(tmp_path / "fp.db")
    dedup = Deduplicator(store, DedupSettings())
    lead = "Monitors counted six cargo flights at the coastal airbase overnight."
    first = _article("a1", "http://one/feed", "rand-1", "Cargo flights land", summary=lead)
    await store.record_article(first, await dedup.classify(first), [])
    regenerated = replace(first, article_id="a2", guid="rand-2")
    decision = await dedup.classify(regenerated)
    assert (decision.verdict, decision.evidence) == (Verdict.SEEN, "fingerprint")
    await store.close()


async def test_deduplicator_warms_its_index_from_the_stored_window(tmp_path: Path) -> None:
    path = tmp_path / "warm.db"
    store = await _store(path)
    dedup = Deduplicator(store, DedupSettings())
    for number, title in enumerate(
        ["Iranian troops arrive in Latakia", "UPDATE 1-Iranian troops arrive in Latakia airbase"]
    ):
        article = _article(f"a{number}", f"http://{number}/feed", "g", title)
        decision = await dedup.classify(article)
        await store.record_article(article, decision, [])
        dedup.remember(article, decision)
    await store.close()

    reopened = await _store(path)
    fresh = Deduplicator(reopened, DedupSettings())
    assert await fresh.load(NOW) == 1
    assert fresh.index.entries == 2
    variant = _article("a9", "http://9/feed", "g9", "Iranian troops arrive in Latakia (AFP)")
    assert (await fresh.classify(variant)).verdict is Verdict.FOLDED
    await reopened.close()


@pytest.mark.parametrize(
    ("title", "summary", "feed_name", "outlet"),
    [
        ("Iranian troops land in Latakia (Reuters)", "", "Gulf Dispatch", "wire:Reuters"),
        ("Iranian troops land in Latakia", "BEIRUT (AFP) - Troops landed.", "Gazette", "wire:AFP"),
        ("Iranian troops land in Latakia", "Troops landed overnight.", "Reuters", "wire:Reuters"),
        ("Iranian troops land in Latakia", "Troops landed overnight.", "Gazette", "http://f/feed"),
    ],
)
def test_an_article_counts_as_the_wire_agency_it_credits(
    title: str, summary: str, feed_name: str, outlet: str
) -> None:
    article = _article("a1", "http://f/feed", "g1", title, summary=summary, feed_name=feed_name)
    assert story_facts(article, StoryIndex(timedelta(hours=48), 88)).outlet == outlet


def test_story_facts_name_places_and_actors() -> None:
    article = _article(
        "a1",
        "http://f/feed",
        "g1",
        "Quds Force commanders arrive in Latakia",
        summary="Monitors said Iranian officers were seen near Hama on Tuesday.",
    )
    facts = story_facts(article, StoryIndex(timedelta(hours=48), 88))
    assert facts.places == ("Latakia", "Hama")
    assert facts.actors == ("Quds Force", "Iranian")
    assert facts.lead_fingerprint


def _teaser(report: Report, outlet: int, *, page: bool) -> Article:
    """An outlet's teaser entry, with its page's text as read when ``page``."""
    body = "\n\n".join(report.paragraphs) if page else ""
    feed = f"http://outlet-{outlet}.test/feed"
    link = f"http://outlet-{outlet}.test/{report.slug}"
    return _article(report.slug, feed, report.slug, report.title, link, report.teaser, body=body)


@pytest.mark.parametrize("backend", STORE_BACKENDS)
@pytest.mark.parametrize(
    ("first", "second", "pages", "verdict"),
    [
        pytest.param(LANDING_A, LANDING_B, True, Verdict.FOLDED, id="page-leads-tell-one-event"),
        pytest.param(LANDING_A, LANDING_B, False, Verdict.NEW_STORY, id="teasers-alone"),
        pytest.param(LANDING_A, ENVOY, True, Verdict.NEW_STORY, id="same-site-other-event"),
    ],
)
async def test_page_leads_group_teasers_the_same_after_a_restart(
    backend: str, first: Report, second: Report, pages: bool, verdict: Verdict, tmp_path: Path
) -> None:
    """The second report is decided by a live index and by one rebuilt from the store."""
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        dedup = Deduplicator(store, DedupSettings())
        opened = _teaser(first, 1, page=pages)
        decision = await dedup.classify(opened)
        await store.record_article(opened, decision, [])
        dedup.remember(opened, decision)
        later = _teaser(second, 1 if second is ENVOY else 2, page=pages)
        live = await dedup.classify(later)
        await store.close()

        reopened = new_store(backend, location)
        await reopened.open()
        restarted = Deduplicator(reopened, DedupSettings())
        await restarted.load(NOW)
        assert await restarted.classify(later) == live
        await reopened.close()
    assert live.verdict is verdict
    assert (live.story_id == decision.story_id) is (verdict is Verdict.FOLDED)
    assert bool(decision.facts.page_lead) is pages


def test_story_facts_read_the_page_lead() -> None:
    """A teaser whose page opens with a wire dateline counts as that agency's copy, and
    names what the page's lead names."""
    body = (
        "By Staff\n\nBEIRUT (AFP) - Iranian officers were seen near Hama on Tuesday,"
        " monitors said, as more troops landed at the coastal airbase overnight."
    )
    article = _article(
        "a1", "http://f/feed", "g1", "Troops land in Latakia", summary="Read more", body=body
    )
    facts = story_facts(article, StoryIndex(timedelta(hours=48), 88))
    assert facts.page_lead == body.removeprefix("By Staff\n\n")
    assert facts.outlet == "wire:AFP"
    assert "Hama" in facts.places


def test_an_article_s_lead_is_read_once_for_its_facts_lookup_and_add(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Grouping an article reads its summary's lead once, not for its facts, its lookup
    and its add each; the next article's is read anew, and both are grouped with them."""
    reads: list[str] = []

    def counted(title: str, summary: str, page: str) -> str:
        reads.append(title)
        return grouping_lead(title, summary, page)

    monkeypatch.setattr("monitor.stories.dedup.grouping_lead", counted)
    dedup = Deduplicator(None, DedupSettings())  # type: ignore[arg-type]  # no store read
    summary = "Iranian officers were seen near Hama on Tuesday, monitors said overnight."
    first = _article("a1", "http://f/feed", "g1", "Troops land in Latakia", summary=summary)
    second = replace(first, article_id="a2", guid="g2", title="Troops landed in Latakia")
    for article in (first, second):
        decision = dedup.decide(article, None)
        dedup.remember(article, decision)
    assert reads == [first.title, second.title]
    assert decision.verdict is Verdict.FOLDED


PROBE = "Iranian troops arrive in Latakia as Homs offensive nears"
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
    store = await _store(tmp_path / "why.db")
    dedup = Deduplicator(store, DedupSettings(title_similarity=88, related_similarity=0.4))
    for number, other in enumerate(OTHER_NEWS):  # the window's word rarity
        background = _article(f"b{number}", "http://bg/feed", f"b{number}", other)
        dedup.remember(background, dedup.decide(background, None))
    first = _article("a1", "http://one/feed", "g1", PROBE)
    opened = dedup.decide(first, None)
    dedup.remember(first, opened)
    decision = dedup.decide(_article("a2", "http://two/feed", "g2", title), None)
    await store.close()
    assert (opened.joined_by, opened.score) == ("new_story", None)
    assert (decision.joined_by, decision.story_id) == (joined_by, opened.story_id)
    if floor is None:
        assert decision.score is None
    else:
        assert decision.score is not None and floor <= decision.score <= 100.0


async def test_a_decision_from_the_store_says_which_key_matched(tmp_path: Path) -> None:
    store = await _store(tmp_path / "keys.db")
    dedup = Deduplicator(store, DedupSettings())
    lead = "Monitors counted six cargo flights at the coastal airbase overnight."
    first = _article("a1", "http://one/feed", "g1", "Cargo flights land", "http://one/1", lead)
    await store.record_article(first, await dedup.classify(first), [])
    copies = [
        (replace(first, article_id="a2"), "same_guid"),
        (_article("a3", "http://two/feed", "x", "Other words", "http://one/1"), "same_link"),
        (replace(first, article_id="a4", guid="g4", link=""), "same_fingerprint"),
    ]
    for copy, joined_by in copies:
        decision = await dedup.classify(copy)
        assert (decision.joined_by, decision.score) == (joined_by, None)
    await store.close()


async def test_a_story_another_daemon_opened_carries_the_score_that_joined_it(
    tmp_path: Path,
) -> None:
    """On a shared store, an article this daemon would open a story for joins the one
    another daemon opened: the score of that judgement goes with it."""
    store = await _store(tmp_path / "shared.db")
    dedup = Deduplicator(store, DedupSettings())
    shared = SharedStories(dedup, clock=lambda: NOW)
    mine = _article(
        "a2",
        "http://two/feed",
        "g2",
        "Iranian troops arrive in Latakia as the Homs offensive nears",
    )
    decision = dedup.decide(mine, None)
    shared.learn([WindowArticle("s_theirs", "a1", PROBE, "", NOW)])
    found = shared.opened_elsewhere([(mine, decision)])
    await store.close()
    assert decision.joined_by == "new_story"
    theirs = found[decision.story_id]
    assert (theirs.story_id, theirs.evidence) == ("s_theirs", "near_identical")
    assert theirs.score is not None and 88.0 <= theirs.score <= 100.0


async def test_the_recent_index_is_scanned_for_stale_articles_only_once_one_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write that opens a story asks whether another daemon opened it; the recent
    index's prune scans all its entries, so it runs only once a learned batch has left the
    window: the story is found for the whole window and no longer after it."""
    store = await _store(tmp_path / "shared.db")
    dedup = Deduplicator(store, DedupSettings())
    now = [NOW]
    shared = SharedStories(dedup, clock=lambda: now[0])
    pruned: list[datetime] = []
    prune = shared._recent.prune

    def counted(at: datetime) -> int:
        pruned.append(at)
        return prune(at)

    monkeypatch.setattr(shared._recent, "prune", counted)
    mine = _article("a2", "http://two/feed", "g2", PROBE)
    decision = dedup.decide(mine, None)
    shared.learn([WindowArticle("s_theirs", "a1", PROBE, "", NOW)])
    found = []
    for minutes in (1, 3, 4, 6, 7):
        now[0] = NOW + timedelta(minutes=minutes)
        found.append(decision.story_id in shared.opened_elsewhere([(mine, decision)]))
    await store.close()
    assert found == [True, True, True, False, False]
    assert pruned == [NOW + timedelta(minutes=6)]


async def test_an_empty_recent_index_is_not_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A story about to open is looked up among other daemons' recent articles only while
    there are some: one daemon alone, or one whose learned articles all left the window,
    reads no text for a lookup that cannot find anything."""
    store = await _store(tmp_path / "shared.db")
    dedup = Deduplicator(store, DedupSettings())
    now = [NOW]
    shared = SharedStories(dedup, clock=lambda: now[0])
    looked: list[str] = []
    find = shared._recent.find

    def counted(title: str, *args: Any, **kwargs: Any) -> StoryMatch | None:
        looked.append(title)
        return find(title, *args, **kwargs)

    monkeypatch.setattr(shared._recent, "find", counted)
    mine = _article("a2", "http://two/feed", "g2", PROBE)
    decision = dedup.decide(mine, None)
    found = [decision.story_id in shared.opened_elsewhere([(mine, decision)])]
    shared.learn([WindowArticle("s_theirs", "a1", PROBE, "", NOW)])
    for minutes in (1, 6):
        now[0] = NOW + timedelta(minutes=minutes)
        found.append(decision.story_id in shared.opened_elsewhere([(mine, decision)]))
    await store.close()
    assert found == [False, True, False]
    assert looked == [PROBE]


class _Window:
    """A store whose window holds ``count`` articles, each its own story."""

    def __init__(self, count: int) -> None:
        self.articles = [
            WindowArticle(f"s{n}", f"a{n}", f"Report number {n} of the day", "", NOW)
            for n in range(count)
        ]

    async def recent_articles(self, since: datetime) -> list[WindowArticle]:
        return list(self.articles)


async def test_a_reload_gives_the_event_loop_turns_and_stops_when_cancelled() -> None:
    """A reload after a failed write adds a large window; a confined daemon needs minutes
    for it, during which its leases must be renewed and a SIGTERM heard. Between steps the
    loop runs other tasks; cancelled there, the reload adds nothing more."""
    store = _Window(450)
    dedup = Deduplicator(store, DedupSettings())  # type: ignore[arg-type]
    reloading = asyncio.create_task(dedup.reload(NOW))
    seen_meanwhile = []
    while not reloading.done() and len(seen_meanwhile) < 2:
        await asyncio.sleep(0)  # one turn of the loop, as any other task takes
        seen_meanwhile.append(dedup.index.entries)
    reloading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reloading
    assert 0 < seen_meanwhile[0] < 450
    assert dedup.index.entries == seen_meanwhile[-1] < 450


async def test_a_whole_reload_holds_the_whole_window() -> None:
    dedup = Deduplicator(_Window(450), DedupSettings())  # type: ignore[arg-type]
    assert await dedup.reload(NOW) == 450
    assert dedup.index.entries == 450
