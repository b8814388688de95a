"""parse_feed over invented fixtures: formats, fields, charsets, limits and dates (hostile
documents: test_parser_hostile.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.feeds.parser import parse_feed
from tests.support.feed_documents import fixture, json_feed, rss, rss_item


class TestFixtures:
    @pytest.mark.parametrize(
        ("name", "content_type", "fmt", "title", "count"),
        [
            ("rss091.xml", "application/rss+xml", "rss091n", "Valley Courier", 2),
            ("rss10.rdf", "application/rdf+xml", "rss10", "Example Wire RDF", 1),
            ("rss20.xml", "application/rss+xml; charset=utf-8", "rss20", "Harbour Gazette", 3),
            ("atom10.xml", "application/atom+xml", "atom10", "Observatory Log", 2),
            ("feed.json", "application/feed+json", "json11", "Transit Bulletin", 2),
            ("latin1.xml", "text/xml", "rss20", "Café Chronicle", 1),
            ("utf16.xml", "application/xml", "rss20", "Портовый вестник", 1),
            ("utf16.xml", None, "rss20", "Портовый вестник", 1),
            ("rss20.xml", None, "rss20", "Harbour Gazette", 3),
            ("feed.json", None, "json11", "Transit Bulletin", 2),
        ],
    )
    def test_format_title_and_entry_count(
        self, name: str, content_type: str | None, fmt: str, title: str, count: int
    ) -> None:
        """Each supported format is detected and read, with or without a Content-Type."""
        parsed = parse_feed(fixture(name), content_type=content_type)
        assert (parsed.format, parsed.title, len(parsed.entries)) == (fmt, title, count)
        assert parsed.warning is None

    @pytest.mark.parametrize(
        ("name", "guid", "title", "link", "published"),
        [
            (
                "rss20.xml",
                "gazette-1001",
                "Northern quay reopens after storm repairs",
                "https://gazette.example/news/quay-reopens?utm_source=rss",
                datetime(2024, 3, 5, 14, 0, tzinfo=UTC),
            ),
            (
                "rss10.rdf",
                "https://wire.example/2024/03/grain-prices",
                "Grain prices steady after harvest report",
                "https://wire.example/2024/03/grain-prices",
                datetime(2024, 3, 5, 13, 30, tzinfo=UTC),
            ),
            (
                "atom10.xml",
                "tag:observatory.example,2024:comet-42",
                "Comet &amp; meteor shower coincide",
                "https://observatory.example/log/comet-42",
                datetime(2024, 3, 6, 6, 30, tzinfo=UTC),
            ),
            (
                "feed.json",
                "transit-7",
                "Tram line 4 diverted",
                "https://transit.example/bulletins/7",
                datetime(2024, 3, 6, 9, 0, tzinfo=UTC),
            ),
            (
                "latin1.xml",
                "chronicle-creme",
                "Crème brûlée festival draws record crowd",
                "https://chronicle.example/creme",
                None,
            ),
            (
                "utf16.xml",
                "vestnik-pier",
                "Новый причал — открыт",
                "https://vestnik.example/pier",
                datetime(2024, 3, 6, 9, 0, tzinfo=UTC),
            ),
        ],
    )
    def test_first_entry_fields(
        self, name: str, guid: str, title: str, link: str, published: datetime | None
    ) -> None:
        """The first entry's guid, title, link and UTC date come through as written."""
        entry = parse_feed(fixture(name)).entries[0]
        assert (entry.guid, entry.title, entry.link, entry.published) == (
            guid,
            title,
            link,
            published,
        )

    def test_rss_entry_keeps_summary_content_tags_and_author(self) -> None:
        """RSS description, content:encoded, categories and dc:creator are all kept."""
        entry = parse_feed(fixture("rss20.xml")).entries[0]
        assert entry.summary == "<p>Crews finished the <b>seawall</b> a week early.</p>"
        assert "Cargo traffic resumes Monday." in entry.content
        assert (entry.tags, entry.author) == (("Ports", "Weather"), "R. Okafor")

    def test_entry_without_guid_or_link_has_neither(self) -> None:
        """guid falls back to the link, and is None when there is no link either."""
        entries = parse_feed(fixture("rss20.xml")).entries
        assert entries[1].guid == entries[1].link == "https://gazette.example/news/pilot-boat"
        assert (entries[2].guid, entries[2].link) == (None, None)

    def test_json_feed_item_fields(self) -> None:
        """JSON Feed: numeric ids become strings, content_text is used, authors fall back."""
        first, second = parse_feed(fixture("feed.json")).entries
        assert (first.tags, first.author, first.summary) == (
            ("trams", "works"),
            "L. Moreau",
            "Bridge works divert line 4.",
        )
        assert first.content == "<p>Works on the bridge divert <em>line 4</em>.</p>"
        assert (second.guid, second.content) == ("8", "Night services resume on Friday.")
        assert (second.author, second.published) == ("Bulletin Team", None)

    def test_bozo_feed_with_entries_is_returned_with_a_warning(self) -> None:
        """A broken-but-readable feed yields its entries plus a warning for the log."""
        parsed = parse_feed(fixture("bozo.xml"), content_type="application/rss+xml")
        assert parsed.warning
        assert [e.link for e in parsed.entries] == ["https://careless.example/fish"]

    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("text/xml", "<rss version='2.0'><channel><title>Café</title></channel></rss>"),
            (
                "application/rss+xml; charset=iso-8859-1",
                "<rss version='2.0'><channel><title>Café</title></channel></rss>",
            ),
        ],
        ids=["text-xml-without-charset-is-utf8", "http-charset-wins"],
    )
    def test_http_charset_and_its_absence(self, content_type: str, body: str) -> None:
        """A charset parameter decides the encoding; without one the document does (RFC 7303)."""
        encoding = "latin-1" if "iso-8859-1" in content_type else "utf-8"
        parsed = parse_feed(body.encode(encoding), content_type=content_type)
        assert (parsed.title, parsed.warning) == ("Café", None)

    def test_relative_links_resolve_against_the_feed_url(self) -> None:
        """A relative entry link is made absolute using the URL the feed came from."""
        body = rss("<item><title>x</title><link>/news/7</link><guid>g7</guid></item>")
        entry = parse_feed(body, url="https://site.example/feeds/all.xml").entries[0]
        assert (entry.link, entry.guid) == ("https://site.example/news/7", "g7")


class TestLimitsAndDates:
    def test_max_entries_keeps_the_first_entries_in_feed_order(self) -> None:
        """Only max_entries entries are returned, the first ones of the document."""
        body = rss("".join(rss_item(n) for n in range(50)))
        parsed = parse_feed(body, max_entries=10)
        assert [e.guid for e in parsed.entries] == [f"item-{n}" for n in range(10)]

    def test_max_entries_applies_to_json_feed(self) -> None:
        """JSON Feed items are capped the same way."""
        parsed = parse_feed(json_feed([{"id": str(n)} for n in range(20)]), max_entries=3)
        assert [e.guid for e in parsed.entries] == ["0", "1", "2"]

    @pytest.mark.parametrize(
        ("pub_date", "expected"),
        [
            ("Tue, 05 Mar 2024 16:00:00 +0200", datetime(2024, 3, 5, 14, 0, tzinfo=UTC)),
            ("Tue, 05 Mar 2024 16:00:00 GMT", datetime(2024, 3, 5, 16, 0, tzinfo=UTC)),
            ("Tue, 05 Mar 2024 09:00:00 EST", datetime(2024, 3, 5, 14, 0, tzinfo=UTC)),
            ("2024-03-05T16:00:00-03:00", datetime(2024, 3, 5, 19, 0, tzinfo=UTC)),
            ("yesterday-ish", None),
            ("", None),
        ],
    )
    def test_rss_dates_become_aware_utc(self, pub_date: str, expected: datetime | None) -> None:
        """RSS/Atom dates in any zone become timezone-aware UTC; junk becomes None."""
        body = rss(rss_item(1, f"<pubDate>{pub_date}</pubDate>"))
        assert parse_feed(body).entries[0].published == expected

    def test_atom_published_wins_over_updated(self) -> None:
        """An entry's publication date is preferred; updated is the fallback."""
        first, second = parse_feed(fixture("atom10.xml")).entries
        assert first.published == datetime(2024, 3, 6, 6, 30, tzinfo=UTC)
        assert second.published == datetime(2024, 3, 5, 12, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2024-03-06T10:00:00+01:00", datetime(2024, 3, 6, 9, 0, tzinfo=UTC)),
            ("2024-03-06T10:00:00Z", datetime(2024, 3, 6, 10, 0, tzinfo=UTC)),
            ("2024-03-06T10:00:00.250-05:30", datetime(2024, 3, 6, 15, 30, 0, 250000, UTC)),
            ("2024-03-06T10:00:00", datetime(2024, 3, 6, 10, 0, tzinfo=UTC)),
            ("06/03/2024", None),
            (20240306, None),
        ],
    )
    def test_json_feed_dates_become_aware_utc(
        self, value: object, expected: datetime | None
    ) -> None:
        """RFC 3339 strings become UTC datetimes; other values become None."""
        [entry] = parse_feed(json_feed([{"id": "x", "date_published": value}])).entries
        assert entry.published == expected
