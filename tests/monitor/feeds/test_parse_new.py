"""The parse worker's job: entries the hint names are neither normalised nor sent whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.feeds.normalise import normalise_entry
from monitor.feeds.parse_new import guid_digests, parse_new
from monitor.feeds.parser import parse_feed

BODY = (
    Path(__file__).resolve().parents[2] / "data" / "feeds" / "fast" / "rss20_news.xml"
).read_bytes()
FETCHED = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FEED = "https://desk.example/feed.xml"


def parsed(seen: bytes = b""):  # type: ignore[no-untyped-def]
    return parse_new(
        BODY, content_type=None, url=FEED, max_entries=100, feed_url=FEED,
        feed_name="Desk", fetched_at=FETCHED, seen=seen,
    )  # fmt: skip


def test_without_a_hint_every_entry_is_normalised_as_before() -> None:
    reference = parse_feed(BODY, url=FEED)
    expected = [
        normalise_entry(entry, feed_url=FEED, feed_name="Desk", fetched_at=FETCHED)
        for entry in reference.entries
    ]
    result = parsed()
    assert list(result.articles) == expected
    # A link stands in for a missing guid from parsing on (feed_dicts.raw_entry).
    declared = ("desk-1", "https://desk.example/a/2", "https://desk.example/a/3", None)
    assert result.declared == declared
    assert result.hinted == frozenset()


def test_entries_the_hint_names_are_skipped_and_slimmed() -> None:
    result = parsed(guid_digests(["desk-1", "https://desk.example/a/3", "elsewhere"]))
    assert [article.title for article in result.articles] == ["حزب الله يعلن", ""]
    assert result.hinted == {"desk-1", "https://desk.example/a/3"}
    # The document keeps every entry, reduced to what the daemon reads: GUID and date.
    reference = parse_feed(BODY, url=FEED)
    assert [(e.guid, e.published) for e in result.feed.entries] == [
        (e.guid, e.published) for e in reference.entries
    ]
    assert all(entry.title == "" and not entry.summary for entry in result.feed.entries)
    assert (result.feed.title, result.feed.hub, result.feed.ttl) == (
        reference.title, reference.hub, reference.ttl,
    )  # fmt: skip


def test_guid_digests_are_eight_bytes_each_whatever_the_order() -> None:
    assert guid_digests(["b", "a", "a"]) == guid_digests(["a", "b"])
    assert len(guid_digests(["a", "b"])) == 16
    assert guid_digests([]) == b""
