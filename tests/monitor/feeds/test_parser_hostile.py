"""parse_feed over hostile documents: entity bombs, external entities and DTDs, lying or unknown
encodings, pages and random bytes, malformed JSON Feeds, bodies that name files or URLs; and
strip_doctypes, which removes what the parser must never see."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from monitor.feeds.parser import ParseError, parse_feed, strip_doctypes
from tests.support.feed_documents import fixture, json_feed, rss, rss_item
from tests.support.feedserver import FeedServer


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
