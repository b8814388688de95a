"""OPML as readers export it, read into feeds (folders as tags), written back the same;
hostile XML refused before anything is expanded."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import FeedSettings
from monitor.config.opml import OpmlError, OpmlFeed, read_opml, write_opml

DATA = Path(__file__).parents[2] / "data" / "opml"


def _feeds(name: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (feed.url, feed.name, feed.tags) for feed in read_opml((DATA / name).read_bytes()).feeds
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("feedly.opml", [
            ("https://www.aljazeera.com/xml/rss/all.xml", "Al Jazeera English", ("Middle East",)),
            ("https://feeds.bbci.co.uk/arabic/rss.xml", "BBC عربي",
             ("Middle East", "Russia & Ukraine")),
            ("https://tass.ru/rss/v2.xml", "ТАСС", ("Russia & Ukraine",)),
        ]),
        ("inoreader.opml", [
            ("https://sana.sy/en/?feed=rss2&lang=en", "SANA English", ("Syria",)),
            ("https://www.tasnimnews.com/fa/rss/feed/0/8/0/", "تسنیم", ("Iran",)),
            ("http://feeds.reuters.example/world", "Reuters World", ()),
        ]),
        ("miniflux.opml", [
            ("https://www.hurriyetdailynews.com/rss", "Hürriyet Daily News", ("Türkiye",)),
            ("https://www.aa.com.tr/tr/rss/default?cat=guncel", "Anadolu Ajansı", ("Türkiye",)),
        ]),
        ("freshrss.opml", [
            ("https://www.kurdistan24.net/en/rss", "Kurdistan 24", ("Uncategorized",)),
            ("https://www.lemonde.fr/afrique/rss_full.xml", "Le Monde Afrique",
             ("Sahel", "Mali", "Burkina Faso", "Niger")),
        ]),
        ("netnewswire.opml", [
            ("https://kyivindependent.com/feed/", "Kyiv Independent", ()),
            ("https://www.pravda.com.ua/rss/", "", ("Ukraine",)),
            ("https://www.ukrinform.net/rss/block-lastnews", "Control chars in name", ("Ukraine",)),
        ]),
    ],
)  # fmt: skip
def test_each_readers_export_reads_as_its_feeds_with_folders_as_tags(
    name: str, expected: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    assert _feeds(name) == expected


def test_what_is_not_a_feed_is_reported_and_a_repeat_merged() -> None:
    ino = read_opml((DATA / "inoreader.opml").read_bytes())
    assert ino.invalid == ["outline 'Saved web page': not a feed (no xmlUrl)"]
    mini = read_opml((DATA / "miniflux.opml").read_bytes())
    assert mini.invalid == [
        "outline 'Broken' in 'All': xmlUrl 'javascript:alert(1)' is not an http(s) URL"
    ]
    feedly = read_opml((DATA / "feedly.opml").read_bytes())
    assert feedly.repeated == [
        "https://feeds.bbci.co.uk/arabic/rss.xml: listed again in 'Russia & Ukraine', tags merged"
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ((DATA / "billion-laughs.opml").read_bytes(), "refused: DTDForbidden"),
        ((DATA / "external-entity.opml").read_bytes(), "refused: DTDForbidden"),
        (b"<opml><body><outline", "not well-formed XML"),
        (b"<rss version='2.0'><channel/></rss>", "not an OPML document"),
        (b"", "not well-formed XML"),
        (b" " * (20 * 1024 * 1024 + 1), "larger than 20 MiB"),
    ],
    ids=["billion-laughs", "external-entity", "truncated", "not-opml", "empty", "too-large"],
)
def test_a_hostile_or_broken_file_is_refused_whole(data: bytes, error: str) -> None:
    with pytest.raises(OpmlError, match=error):
        read_opml(data)


def test_deep_folders_are_reported_not_followed() -> None:
    deep = "<outline text='f'>" * 40 + "<outline xmlUrl='https://x.example/f'/>" + "</outline>" * 40
    listed = read_opml(f"<opml version='2.0'><body>{deep}</body></opml>".encode())
    assert listed.feeds == [] and listed.invalid == ["folder 'f': nested deeper than 32"]


def test_export_reads_back_as_the_same_feeds_and_tags() -> None:
    feeds = [
        FeedSettings(
            url="https://sana.sy/en/?feed=rss2&lang=en", name="SANA <English>", tags=("Syria",)
        ),
        FeedSettings(url="https://tass.ru/rss/v2.xml", name="ТАСС", tags=("Russia", "wire, state")),
        FeedSettings(url="https://user:pw@private.example/feed", tags=()),
        FeedSettings(url="https://wire.example/rss?lang=ar&api_key=K3y-x&accessToken=T0k-y"),
        FeedSettings(
            url="https://www.tasnimnews.com/fa/rss", name="تسنیم", tags=("Iran", "a", "b")
        ),
    ]
    text = write_opml(feeds)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert "pw" not in text and "user" not in text
    assert "K3y-x" not in text and "T0k-y" not in text and "redacted" not in text
    assert write_opml(feeds) == text  # the same list gives the same bytes
    assert read_opml(text.encode()).feeds == [
        OpmlFeed("https://sana.sy/en/?feed=rss2&lang=en", "SANA <English>", ("Syria",), "Syria"),
        # A later tag cannot hold "," or "/" in OPML's category: they become spaces.
        OpmlFeed("https://tass.ru/rss/v2.xml", "ТАСС", ("Russia", "wire state"), "Russia"),
        OpmlFeed("https://private.example/feed", "https://private.example/feed", ()),
        OpmlFeed("https://wire.example/rss?lang=ar", "https://wire.example/rss?lang=ar", ()),
        OpmlFeed("https://www.tasnimnews.com/fa/rss", "تسنیم", ("Iran", "a", "b"), "Iran"),
    ]
