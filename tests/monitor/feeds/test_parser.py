"""parse_feed over invented fixtures and hostile documents."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.feeds.parser import ParseError, parse_feed, strip_doctypes
from tests.support.feedserver import FeedServer

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def rss(items: str, *, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>Test channel</title>{items}</channel></rss>"
    ).encode()


def rss_item(n: int, extra: str = "") -> str:
    return (
        f"<item><title>Item {n}</title><link>https://news.example/{n}</link>"
        f"<guid>item-{n}</guid>{extra}</item>"
    )


def json_feed(items: list[object], version: str = "https://jsonfeed.org/version/1.1") -> bytes:
    return json.dumps({"version": version, "title": "J", "items": items}).encode()


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


class TestHostileDocuments:
    @staticmethod
    def billion_laughs(levels: int) -> bytes:
        """Nested entity declarations on one line; full expansion is 3 * 10**levels chars.

        One line matters: feedparser's own clean-up only finds declarations at line starts.
        """
        declarations = ['<!ENTITY lol0 "lol">']
        declarations += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels + 1)]
        prolog = "<!DOCTYPE rss [" + " ".join(declarations) + "]>"
        top = f"&lol{levels};"
        return rss(rss_item(1, f"<description>{top}</description>"), prolog=prolog)

    @pytest.mark.parametrize(
        ("levels", "size"),
        [(800, (60_000, 80_000)), (5, (500, 1_000))],
        ids=["69KB-billion-laughs", "under-expat-amplification-limit"],
    )
    def test_entity_expansion_feed_is_read_without_expanding(
        self, levels: int, size: tuple[int, int]
    ) -> None:
        """Entity declarations are cut out: entries survive and nothing is expanded.

        The small case matters most: expat's own guard lets its 300,000 characters through.
        """
        body = self.billion_laughs(levels)
        assert size[0] < len(body) < size[1]
        parsed = parse_feed(body, content_type="application/rss+xml")
        [entry] = parsed.entries
        assert (entry.title, entry.guid) == ("Item 1", "item-1")
        assert len(entry.summary) < 100
        assert "lollol" not in entry.summary

    def test_entity_declarations_hidden_by_utf7_are_still_removed(self) -> None:
        """In UTF-7 "<!DOCTYPE" is "+ADw-!DOCTYPE"; the scan runs on the decoded form."""
        laughs = self.billion_laughs(5).decode()
        _declaration, rest = laughs.split("?>", 1)
        hidden = rest.replace("<", "+ADw-")  # UTF-7's base64 form of "<"
        body = b'<?xml version="1.0" encoding="utf-7"?>' + hidden.encode("ascii")
        assert b"<!DOCTYPE" not in body
        assert hidden.encode("ascii").decode("utf-7") == rest
        [entry] = parse_feed(body, content_type="application/rss+xml").entries
        assert entry.title == "Item 1"
        assert len(entry.summary) < 100

    @pytest.mark.parametrize("encoding", ["punycode", "undefined"])
    def test_declared_codecs_that_raise_become_parse_errors(self, encoding: str) -> None:
        """Python codecs that fail with UnicodeError (not a decode error) do not escape."""
        body = rss(rss_item(1)).replace(b'encoding="utf-8"', f'encoding="{encoding}"'.encode())
        with pytest.raises(ParseError, match="undecodable"):
            parse_feed(body)

    def test_unknown_declared_encoding_falls_back_with_warning(self) -> None:
        """A made-up encoding name is overridden by one that works, and that is reported."""
        body = rss(rss_item(1)).replace(b'encoding="utf-8"', b'encoding="no-such-charset"')
        parsed = parse_feed(body)
        assert [e.guid for e in parsed.entries] == ["item-1"]
        assert parsed.warning is not None
        assert parsed.warning.startswith("CharacterEncodingOverride")

    @pytest.mark.parametrize(
        "prolog",
        [
            '<!DOCTYPE rss [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
            '<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">',
            '<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
        ],
        ids=["external-entity", "external-dtd", "parameter-entity"],
    )
    def test_external_entities_and_dtds_are_never_loaded(self, prolog: str) -> None:
        """External entities stay unresolved text: no file or URL is read."""
        body = rss(rss_item(1, "<description>&e;</description>"), prolog=prolog)
        [entry] = parse_feed(body).entries
        assert entry.summary in ("", "&e;")

    def test_html_page_is_not_a_feed(self) -> None:
        """An ordinary web page is rejected with ParseError."""
        with pytest.raises(ParseError, match="not a feed"):
            parse_feed(fixture("page.html"), content_type="text/html; charset=utf-8")

    @pytest.mark.parametrize("seed", range(5))
    def test_random_bytes_are_rejected(self, seed: int) -> None:
        """Binary junk raises ParseError rather than returning an empty feed."""
        junk = random.Random(seed).randbytes(4096)
        with pytest.raises(ParseError):
            parse_feed(junk, content_type="application/rss+xml")

    @pytest.mark.parametrize(
        "body",
        [
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
            b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}',
            b'{"version": "https://example.com/not-jsonfeed", "items": []}',
            b'{"items": []}',
            b'{"version": 1.1, "items": []}',
            b'["https://jsonfeed.org/version/1.1"]',
            b'{"a":' * 100_000,
            b"\xff\xfe{\x00\x00\xd8",
            b'{"version": "https://jsonfeed.org/version/1", "items": [], "x": 1'
            + b"0" * 5000
            + b"}",
        ],
        ids=[
            "truncated",
            "items-not-list",
            "foreign-version",
            "no-version",
            "numeric-version",
            "top-level-array",
            "deep-nesting",
            "bad-utf16",
            "huge-integer",
        ],
    )
    def test_malformed_json_feeds_raise(self, body: bytes) -> None:
        """Broken JSON, wrong shapes, absurd nesting and bad encodings raise ParseError."""
        with pytest.raises(ParseError):
            parse_feed(body, content_type="application/feed+json")

    def test_json_items_that_are_not_objects_are_skipped_with_warning(self) -> None:
        """Stray non-object items are dropped; the rest of the feed is kept."""
        parsed = parse_feed(json_feed([{"id": "a", "title": "A"}, "junk", 7]))
        assert [e.guid for e in parsed.entries] == ["a"]
        assert parsed.warning == "skipped 2 JSON feed items that are not objects"

    def test_json_feed_with_wrong_field_types_keeps_what_it_can(self) -> None:
        """Fields of the wrong type are ignored instead of crashing the parse."""
        item = {"id": True, "url": 5, "title": ["x"], "tags": "t", "authors": "me"}
        [entry] = parse_feed(json_feed([item])).entries
        assert (entry.guid, entry.link, entry.title, entry.tags, entry.author) == (
            None,
            None,
            "",
            (),
            None,
        )

    def test_unterminated_doctype_is_rejected(self) -> None:
        """A DOCTYPE that never closes cannot be cut out safely, so the document is refused."""
        with pytest.raises(ParseError, match="DOCTYPE"):
            parse_feed(b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">' + b"<rss/>")

    def test_body_that_names_a_local_file_is_not_opened(self, tmp_path: Path) -> None:
        """feedparser is given a stream, so a body that is a file path is just text."""
        feed_file = tmp_path / "feed.xml"
        feed_file.write_bytes(fixture("rss20.xml"))
        with pytest.raises(ParseError):
            parse_feed(str(feed_file).encode())

    def test_body_that_is_a_url_is_not_fetched(self) -> None:
        """A body holding a URL is not followed: the server sees no request."""
        server = FeedServer()
        with server:
            server.add_feed("/feed.xml", fixture("rss20.xml"))
            with pytest.raises(ParseError):
                parse_feed(server.url("/feed.xml").encode())
            assert server.requests == []


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


class TestStripDoctypes:
    @pytest.mark.parametrize(
        ("document", "expected"),
        [
            (b"<!DOCTYPE rss><rss/>", b"<rss/>"),
            (b'<!doctype rss SYSTEM "a>b.dtd"><rss/>', b"<rss/>"),
            (b'<!DOCTYPE r [<!ENTITY a "]>">]><r/>', b"<r/>"),
            (b"<!DOCTYPE r [<!-- ]> --><!ENTITY a 'x'>]><r/>", b"<r/>"),
            (b'<!DOCTYPE r [<!ENTITY a "x">] ><r/>', b"<r/>"),
            (
                b"<?xml version='1.0'?><!-- c --><!DOCTYPE x><!DOCTYPE y [<!ENTITY z 'z'>]><r/>",
                b"<?xml version='1.0'?><!-- c --><r/>",
            ),
            (b"<!-- <a> --><!DOCTYPE r [<!ENTITY a 'x'>]><r/>", b"<!-- <a> --><r/>"),
            (b"<?pi a>b?>\n<!DOCTYPE r>\n<r/>", b"<?pi a>b?>\n\n<r/>"),
            (b"\xef\xbb\xbf <!DOCTYPE r><r/>", b"\xef\xbb\xbf <r/>"),
            (b"<r><![CDATA[ <!DOCTYPE ]]></r>", b"<r><![CDATA[ <!DOCTYPE ]]></r>"),
            (b"<rss>no doctype</rss>", b"<rss>no doctype</rss>"),
        ],
        ids=[
            "plain",
            "quoted-gt",
            "gt-in-entity-value",
            "comment-in-subset",
            "space-before-close",
            "several-after-pi-and-comment",
            "element-like-comment",
            "pi-with-gt",
            "after-bom",
            "after-root-is-text",
            "none",
        ],
    )
    def test_removes_whole_declarations(self, document: bytes, expected: bytes) -> None:
        """Prolog DOCTYPEs go whole: quotes, comments and the subset are honoured."""
        assert strip_doctypes(document)[0] == expected

    @pytest.mark.parametrize(
        "document",
        [b"<!DOCTYPE r [<!ENTITY a 'x'>", b'<!DOCTYPE r "unclosed', b"<!DOCTYPE r [<!-- x"],
    )
    def test_unterminated_declarations_raise(self, document: bytes) -> None:
        """If the end cannot be found the document is refused, not half-stripped."""
        with pytest.raises(ParseError):
            strip_doctypes(document)
