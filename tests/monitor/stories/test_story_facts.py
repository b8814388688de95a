"""Story facts: the outlet an article counts as, the names it gives, its page's lead."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config.settings import DedupSettings
from monitor.records.models import Article, Verdict
from monitor.stories.dedup import Deduplicator, story_facts
from monitor.stories.index import StoryIndex
from monitor.stories.leads import grouping_lead
from tests.support.dedup_articles import NOW, make_article
from tests.support.events import ENVOY, LANDING_A, LANDING_B, Report
from tests.support.stores import STORE_BACKENDS, new_store, store_location


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
    article = make_article("a1", "http://f/feed", "g1", title, summary=summary, feed_name=feed_name)
    assert story_facts(article, StoryIndex(timedelta(hours=48), 88)).outlet == outlet


def test_story_facts_name_places_and_actors() -> None:
    article = make_article(
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
    return make_article(
        report.slug, feed, report.slug, report.title, link, report.teaser, body=body
    )


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
    article = make_article(
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
    first = make_article("a1", "http://f/feed", "g1", "Troops land in Latakia", summary=summary)
    second = replace(first, article_id="a2", guid="g2", title="Troops landed in Latakia")
    for article in (first, second):
        decision = dedup.decide(article, None)
        dedup.remember(article, decision)
    assert reads == [first.title, second.title]
    assert decision.verdict is Verdict.FOLDED
