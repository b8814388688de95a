"""The demo newsroom's feeds: real feeds on loopback, a scripted timeline and syndicated copies
(its HTTP, lifecycle and demo config: test_newsroom_serving.py)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest

from monitor.config.settings import DedupSettings
from monitor.demo.newsroom import FEED_WINDOW, Newsroom
from monitor.demo.script import OUTLETS, SCRIPT, NewsEvent
from monitor.stories.dedup import StoryIndex
from tests.support.newsroom import EVENTS_BY_KEY, RELEASE_EVERY, FakeClock, feed_url

EVENT_BY_HEADLINE = {headline: event for event in SCRIPT for _, headline in event.copies}

# Events whose copies are one wire story re-headlined; the rest are separate reports.
WIRE_STORIES = {
    "latakia-airlift",
    "homs-raids",
    "aleppo-push",
    "oil-three-week-high",
    "deir-ez-zor-attack",
    "heatwave",
    "hama-advisers",
    "raqqa-coalition",
    "idlib-sorties",
}

# Re-worded reports of one event that story grouping joins too. "geneva-envoy" stays two:
# "Moscow" in one headline, "Geneva" in the other look like a substituted place, and a
# missed merge is the safe error.
PARAPHRASED_STORIES = {"east-aleppo-shelling", "veltrix-chip"}


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    link: str


def parse_xml(body: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def fetch_entries(http: httpx.Client, url: str) -> list[Entry]:
    response = http.get(url)
    assert response.status_code == 200
    if response.headers["content-type"].startswith("application/feed+json"):
        return [Entry(i["id"], i["title"], i["url"]) for i in response.json()["items"]]
    return [Entry(e.id, e.title, e.link) for e in parse_xml(response.content).entries]


def published_dates(response: httpx.Response) -> list[datetime]:
    if response.headers["content-type"].startswith("application/feed+json"):
        return [datetime.fromisoformat(i["date_published"]) for i in response.json()["items"]]
    entries = parse_xml(response.content).entries
    return [datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC) for e in entries]


def entries_by_feed(http: httpx.Client, newsroom: Newsroom) -> dict[str, list[Entry]]:
    return {name: fetch_entries(http, url) for name, url in newsroom.feeds}


def served_titles(http: httpx.Client, newsroom: Newsroom) -> list[str]:
    return [
        entry.title for entries in entries_by_feed(http, newsroom).values() for entry in entries
    ]


def headlines(events: Iterable[NewsEvent]) -> list[str]:
    return [headline for event in events for _, headline in event.copies]


class TestFeeds:
    def test_every_outlet_is_listed_with_a_loopback_feed_url(self, newsroom: Newsroom) -> None:
        """``feeds`` names each of the 4-5 outlets once, each URL served from 127.0.0.1."""
        assert newsroom.base_url.startswith("http://127.0.0.1:")
        assert [name for name, _ in newsroom.feeds] == [outlet.name for outlet in OUTLETS]
        assert 4 <= len({url for _, url in newsroom.feeds}) == len(OUTLETS) <= 5
        assert all(url.startswith(newsroom.base_url + "/") for _, url in newsroom.feeds)

    def test_outlets_cover_rss_twice_atom_and_json_feed(self) -> None:
        """The demo exercises every parser path: RSS 2.0 (twice), Atom 1.0 and JSON Feed."""
        kinds = [outlet.kind for outlet in OUTLETS]
        assert kinds.count("rss") >= 2
        assert {"atom", "json"} <= set(kinds)

    @pytest.mark.parametrize(
        ("slug", "content_type", "version"),
        [
            ("levant-wire", "application/rss+xml; charset=utf-8", "rss20"),
            ("crescent-herald", "application/rss+xml; charset=utf-8", "rss20"),
            ("meridian", "application/atom+xml; charset=utf-8", "atom10"),
            ("northgate", "application/atom+xml; charset=utf-8", "atom10"),
        ],
    )
    def test_xml_feed_has_its_content_type_and_parses_cleanly(
        self, newsroom: Newsroom, http: httpx.Client, slug: str, content_type: str, version: str
    ) -> None:
        """Each XML feed is labelled with its media type and feedparser reads it without bozo."""
        response = http.get(feed_url(newsroom, slug))
        assert response.headers["content-type"] == content_type
        parsed = parse_xml(response.content)
        assert parsed.version == version
        assert parsed.entries
        for entry in parsed.entries:
            assert all((entry.id, entry.title, entry.link, entry.published_parsed))

    def test_json_feed_has_the_json_feed_1_1_shape(
        self, newsroom: Newsroom, http: httpx.Client
    ) -> None:
        """The JSON outlet serves application/feed+json with the fields JSON Feed 1.1 requires."""
        response = http.get(feed_url(newsroom, "harbour-daily"))
        assert response.headers["content-type"] == "application/feed+json; charset=utf-8"
        document = response.json()
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["title"] == "Harbour Daily"
        assert document["items"]
        for item in document["items"]:
            assert all(isinstance(item[key], str) for key in ("id", "url", "title"))
            assert item["id"]
            assert item.get("content_html") or item.get("content_text")
            assert datetime.fromisoformat(item["date_published"]).tzinfo is not None


class TestTimeline:
    def test_initial_batch_is_served_before_any_time_passes(
        self, newsroom: Newsroom, http: httpx.Client
    ) -> None:
        """At start every feed already holds its copies of the first ``initial_batch`` events."""
        by_feed = entries_by_feed(http, newsroom)
        assert all(by_feed.values())
        titles = [entry.title for entries in by_feed.values() for entry in entries]
        assert sorted(titles) == sorted(headlines(SCRIPT[: newsroom.initial_batch]))

    @pytest.mark.parametrize(
        ("elapsed", "released"),
        [(0.0, 0), (3.999, 0), (4.0, 1), (11.9, 2), (12.0, 3)],
    )
    def test_one_more_event_appears_every_release_interval(
        self,
        newsroom: Newsroom,
        http: httpx.Client,
        clock: FakeClock,
        elapsed: float,
        released: int,
    ) -> None:
        """Moving the injected clock releases whole events in script order, one per interval."""
        clock.advance(elapsed)
        expected = SCRIPT[: newsroom.initial_batch + released]
        assert sorted(served_titles(http, newsroom)) == sorted(headlines(expected))

    def test_feeds_list_the_newest_item_first(
        self, newsroom: Newsroom, http: httpx.Client, clock: FakeClock
    ) -> None:
        """Items are ordered by publication time, newest first, in every format."""
        clock.advance(len(SCRIPT) * RELEASE_EVERY)
        for _, url in newsroom.feeds:
            dates = published_dates(http.get(url))
            assert len(dates) > 1
            assert dates == sorted(dates, reverse=True)

    def test_exhausted_script_is_reissued_with_a_day_counter_and_fresh_guids(
        self, newsroom: Newsroom, http: httpx.Client, clock: FakeClock
    ) -> None:
        """After the last event the script starts over as "Day 2: ", under new GUIDs and links."""
        clock.advance(len(SCRIPT) * RELEASE_EVERY)
        entries = [e for feed in entries_by_feed(http, newsroom).values() for e in feed]
        assert {
            "Day 2: Iranian forces fly into Syria via Latakia",
            "UPDATE 1-Day 2: Iranian forces fly into Syria via Latakia",
            "Day 2: Iranian forces fly into Syria via Latakia - Levant Wire",
            "BREAKING: Day 2: Iranian forces flown into Syria via Latakia",
        } <= {e.title for e in entries}
        assert len({e.guid for e in entries}) == len(entries)
        day_one = {e.link for e in entries if e.title.startswith("Iranian forces fly")}
        day_two = {e.link for e in entries if e.title.startswith("Day 2: Iranian forces fly")}
        assert day_one
        assert day_two
        assert not day_one & day_two

    def test_feeds_never_run_dry_and_keep_a_bounded_window(
        self, newsroom: Newsroom, http: httpx.Client, clock: FakeClock
    ) -> None:
        """Many cycles later every feed still changes, holding only its newest items."""
        clock.advance(10 * len(SCRIPT) * RELEASE_EVERY)
        for entries in entries_by_feed(http, newsroom).values():
            assert len(entries) == FEED_WINDOW
            assert "Day 11: " in entries[0].title


class TestSyndication:
    @pytest.mark.parametrize(
        "marker",
        ["Latakia", "north of Homs", "south of Aleppo", "Deir ez-Zor", "near Hama", "Raqqa"],
    )
    def test_syndicated_event_reaches_several_outlets_with_distinct_guids_and_headlines(
        self, newsroom: Newsroom, http: httpx.Client, clock: FakeClock, marker: str
    ) -> None:
        """A wire story shows up in at least three feeds, each copy re-headlined and re-GUIDed."""
        clock.advance((len(SCRIPT) - newsroom.initial_batch) * RELEASE_EVERY)  # all of day 1
        copies = [
            (feed, entry)
            for feed, entries in entries_by_feed(http, newsroom).items()
            for entry in entries
            if marker in entry.title
        ]
        assert len({feed for feed, _ in copies}) >= 3
        assert len({entry.guid for _, entry in copies}) == len(copies)
        assert len({entry.title for _, entry in copies}) == len(copies)

    def test_copies_fold_into_one_story_per_day_under_the_daemons_dedup(
        self, newsroom: Newsroom, http: httpx.Client, clock: FakeClock
    ) -> None:
        """Wire copies and re-worded reports of an event are one story, its "Day 2" re-issue
        another; different events stay apart. This is what makes the demo show dedup at work."""
        clock.advance((2 * len(SCRIPT) - newsroom.initial_batch) * RELEASE_EVERY)  # two days
        index = StoryIndex(timedelta(hours=48), DedupSettings().title_similarity)
        seen = datetime(2024, 1, 1, tzinfo=UTC)
        stories: dict[tuple[str, int], set[str]] = defaultdict(set)
        for number, title in enumerate(served_titles(http, newsroom)):
            day = 2 if "Day 2: " in title else 1
            event = EVENT_BY_HEADLINE[title.replace("Day 2: ", "")]
            found = index.find(title, seen)
            story_id = found.story_id if found else f"story-{number}"
            index.add(story_id, story_id, title, seen)  # as Deduplicator.remember does
            stories[(event.key, day)].add(story_id)
        assert len(stories) == 2 * len(SCRIPT)
        for (key, _), story_ids in stories.items():
            one_story = key in WIRE_STORIES | PARAPHRASED_STORIES
            expected = 1 if one_story else len(EVENTS_BY_KEY[key].copies)
            assert len(story_ids) == expected, key
        assert len(set().union(*stories.values())) == sum(map(len, stories.values()))

    def test_wire_copies_link_to_the_originating_article_with_tracking_parameters(
        self, newsroom: Newsroom, http: httpx.Client
    ) -> None:
        """Copies of a shared-link story point at one article, some with utm_ parameters added."""
        links = [
            entry.link
            for entries in entries_by_feed(http, newsroom).values()
            for entry in entries
            if "Latakia" in entry.title
        ]
        assert len({urlsplit(link)._replace(query="").geturl() for link in links}) == 1
        assert any("utm_source=" in urlsplit(link).query for link in links)
