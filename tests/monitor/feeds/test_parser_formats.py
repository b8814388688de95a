"""Formats and encodings the poller meets, and what feeds say about polling and push."""

from __future__ import annotations

import json
import pickle

import pytest

from monitor.daemon.polling import parse_pool
from monitor.feeds.parser import ParseError, parse_feed

ATOM03 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old Atom</title>
  <entry><title>Harbour reopens</title><id>tag:old.example,2005:1</id>
    <link rel="alternate" type="text/html" href="https://old.example/1"/>
    <issued>2005-07-01T10:00:00Z</issued><modified>2005-07-01T10:00:00Z</modified>
  </entry>
</feed>"""

RSS_TEMPLATE = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>Kanal</title>
<item><title>Straßenbahn fährt wieder</title><guid>s-1</guid></item></channel></rss>"""


def rss_in(encoding: str, *, declared: str | None = None, bom: bool = False) -> bytes:
    text = RSS_TEMPLATE.format(encoding=declared or encoding)
    body = text.encode(encoding)
    return ("\ufeff".encode(encoding) if bom else b"") + body


class TestFormats:
    def test_atom_03(self) -> None:
        parsed = parse_feed(ATOM03)
        assert (parsed.format, parsed.title) == ("atom03", "Old Atom")
        assert parsed.entries[0].link == "https://old.example/1"
        assert parsed.entries[0].published is not None

    @pytest.mark.parametrize(
        "version",
        [
            "https://jsonfeed.org/version/1",
            "https://jsonfeed.org/version/1.1",
            "http://jsonfeed.org/version/1.1",  # a common slip
            "1.1",  # seen in the wild
        ],
    )
    def test_json_feed_versions(self, version: str) -> None:
        body = json.dumps({"version": version, "items": [{"id": "1", "title": "A"}]}).encode()
        parsed = parse_feed(body)
        assert parsed.format == ("json11" if version.endswith("1.1") else "json10")
        assert parsed.entries[0].title == "A"


class TestEncodings:
    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (rss_in("utf-8", bom=True), "application/rss+xml"),
            (rss_in("utf-16-le", declared="utf-16", bom=True), None),
            (rss_in("utf-16-be", declared="utf-16", bom=True), None),
            (rss_in("utf-32-le", declared="utf-32", bom=True), None),
            (rss_in("utf-32-be", declared="utf-32", bom=True), None),
            (rss_in("iso-8859-1"), "text/xml"),  # declared in the document, not the header
            # The server says utf-8, the bytes are Latin-1: read anyway (as a bozo feed).
            (rss_in("iso-8859-1"), "application/rss+xml; charset=utf-8"),
        ],
        ids=["utf8-bom", "utf16le", "utf16be", "utf32le", "utf32be", "latin1", "wrong-charset"],
    )
    def test_entries_survive_the_encoding(self, body: bytes, content_type: str | None) -> None:
        parsed = parse_feed(body, content_type=content_type)
        assert parsed.entries[0].title == "Straßenbahn fährt wieder"


class TestPollingHints:
    @pytest.mark.parametrize(
        ("channel", "ttl"),
        [
            ("<ttl>15</ttl>", 900.0),
            (
                "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>",
                21_600.0,
            ),
            ("<sy:updatePeriod>weekly</sy:updatePeriod>", 604_800.0),
            ("<ttl>0</ttl>", None),
            ("<ttl>²</ttl>", None),
            ("<ttl>99999999999</ttl>", None),
            ("<sy:updatePeriod>fortnightly</sy:updatePeriod>", None),
            (
                "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>",
                None,
            ),
            ("", None),
        ],
    )
    def test_ttl_and_syndication_period(self, channel: str, ttl: float | None) -> None:
        body = (
            '<?xml version="1.0"?><rss version="2.0" '
            'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
            f"<channel><title>T</title>{channel}<item><title>x</title></item></channel></rss>"
        ).encode()
        assert parse_feed(body).ttl == ttl

    def test_atom_hub_and_self_links(self) -> None:
        body = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
        <link rel="hub" href="https://hub.example/"/><link rel="self" href="/feed.atom"/>
        <entry><title>x</title><id>1</id></entry></feed>"""
        parsed = parse_feed(body, url="https://site.example/feeds/feed.atom")
        assert parsed.hub == "https://hub.example/"
        assert parsed.self_url == "https://site.example/feed.atom"

    @pytest.mark.parametrize(
        ("hubs", "hub"),
        [
            ([{"type": "WebSub", "url": "https://hub.example/"}], "https://hub.example/"),
            ([{"type": "rssCloud", "url": "https://c.example/"}], None),
            ([{"type": "WebSub", "url": "javascript:alert(1)"}], None),
            ("not a list", None),
        ],
    )
    def test_json_feed_hubs(self, hubs: object, hub: str | None) -> None:
        body = json.dumps(
            {"version": "https://jsonfeed.org/version/1.1", "hubs": hubs, "items": []}
        ).encode()
        assert parse_feed(body).hub == hub


class TestProcessPool:
    def test_results_and_errors_cross_the_process_boundary(self) -> None:
        """What the daemon's pool returns equals the in-thread parse; ParseError pickles."""
        pool = parse_pool(1)
        assert pool is not None
        try:
            remote = pool.submit(parse_feed, ATOM03).result(timeout=60)
            with pytest.raises(ParseError, match="not a feed"):
                pool.submit(parse_feed, b"<html><body>hi</body></html>").result(timeout=60)
        finally:
            pool.shutdown()
        assert remote == parse_feed(ATOM03)
        assert pickle.loads(pickle.dumps(remote)) == remote

    def test_zero_workers_means_a_thread(self) -> None:
        assert parse_pool(0) is None
