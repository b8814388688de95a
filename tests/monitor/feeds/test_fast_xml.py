"""The XML fast path gives what feedparser gives, and declines what it cannot be sure of.

Each feed under tests/data/feeds/fast/ is parsed twice: by ``fast_parse`` and by
``parse_with_feedparser`` (the reference). Those the fast path takes must come out equal,
field for field; those under ``declined/`` must be declined (and ``parse_feed`` then
gives feedparser's result)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.feeds.fast_xml import fast_parse
from monitor.feeds.parser import parse_feed, parse_with_feedparser
from monitor.records import ParsedFeed

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds" / "fast"
TAKEN = sorted(DATA.glob("*.*"))
DECLINED = sorted((DATA / "declined").glob("*.xml"))
URL = "https://feeds.example/desk/feed"


def both(
    body: bytes, content_type: str | None = None, cap: int = 1000
) -> tuple[ParsedFeed | None, ParsedFeed]:
    return (
        fast_parse(body, content_type, URL, cap),
        parse_with_feedparser(body, content_type, URL, cap),
    )


@pytest.mark.parametrize("path", TAKEN, ids=lambda p: p.name)
def test_fast_path_takes_the_feed_and_matches_feedparser(path: Path) -> None:
    fast, reference = both(path.read_bytes())
    assert fast is not None, "the fast path declined a feed it should take"
    assert reference.entries, "a comparison without entries compares nothing"
    assert fast == reference


@pytest.mark.parametrize("path", DECLINED, ids=lambda p: p.name)
def test_declined_feeds_go_to_feedparser(path: Path) -> None:
    body = path.read_bytes()
    assert fast_parse(body, None, URL, 1000) is None
    assert parse_feed(body, url=URL) == parse_with_feedparser(body, None, URL, 1000)


@pytest.mark.parametrize(
    ("content_type", "taken"),
    [
        (None, True),
        ("application/rss+xml", True),
        ("application/rss+xml; charset=utf-8", True),
        ('text/xml; charset="UTF-8"', True),
        ("application/rss+xml; charset=iso-8859-1", False),  # the server's word wins: feedparser
        ("text/html; charset=utf-8", False),  # feedparser warns about the type
    ],
)
def test_content_types(content_type: str | None, taken: bool) -> None:
    fast, reference = both((DATA / "rss20_news.xml").read_bytes(), content_type)
    assert (fast is not None) == taken
    assert (
        parse_feed((DATA / "rss20_news.xml").read_bytes(), content_type=content_type, url=URL)
        == reference
    )


@pytest.mark.parametrize("cap", [1, 2, 3])
def test_entry_cap(cap: int) -> None:
    fast, reference = both((DATA / "rss20_titles.xml").read_bytes(), cap=cap)
    assert fast is not None and fast == reference
    assert len(fast.entries) == cap


class TestWhatFeedparserDoes:
    """Spot checks that the compared values are the interesting ones."""

    def test_text_repairs(self) -> None:
        fast = fast_parse((DATA / "rss20_text_repairs.xml").read_bytes(), None, URL, 10)
        assert fast is not None
        assert fast.title == "Café wire"  # UTF-8 read as Latin-1, undone
        assert fast.entries[0].summary.startswith("\u201cquoted\u201d")  # C1 → cp1252
        assert fast.entries[0].link == "https://wire.example/q?a=1&b=2"
        assert fast.ttl == 900.0

    def test_titles(self) -> None:
        fast = fast_parse((DATA / "rss20_titles.xml").read_bytes(), None, URL, 10)
        assert fast is not None
        assert fast.title == "Second channel title"
        titles = [entry.title for entry in fast.entries]
        assert titles == [
            "Item title",
            "After an empty one",
            "After the source",
            "Dublin Core title",
        ]

    def test_atom_base_and_links(self) -> None:
        fast = fast_parse((DATA / "atom10.xml").read_bytes(), None, URL, 10)
        assert fast is not None
        assert fast.self_url == "https://atom.example/news/feed.atom"
        assert fast.entries[0].link == "https://atom.example/news/1.html"
        assert fast.entries[0].author == "Kemal Aydın (kemal@example.org)"
        assert fast.entries[1].summary == "Text content"  # content copied to the summary
        assert fast.entries[2].link == "https://atom.example/news/entry/3"  # the id, resolved


def test_hostile_document_is_neither_expanded_nor_fetched() -> None:
    body = (DATA / "declined" / "doctype_entities.xml").read_bytes()
    parsed = parse_feed(body, url=URL)
    assert "aaaa" not in (parsed.title or "")
    assert all("root:" not in entry.title for entry in parsed.entries)


@pytest.mark.parametrize(
    "prolog",
    [
        "",
        "<!-- " + "padding " * 1000 + "-->\n",  # the DOCTYPE past the head the sniffing reads
    ],
)
def test_entities_are_never_expanded_nor_files_read(prolog: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret")
    body = (
        f'<?xml version="1.0"?>\n{prolog}'
        f'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        f'<!ENTITY ext SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>T &b;</title>'
        "<item><title>Leak &ext;</title><guid>h-1</guid></item></channel></rss>"
    ).encode()
    assert fast_parse(body, None, URL, 10) is None
    parsed = parse_feed(body, url=URL)
    texts = [parsed.title or ""] + [entry.title for entry in parsed.entries]
    assert not any("aaaa" in text or "top-secret" in text for text in texts)
