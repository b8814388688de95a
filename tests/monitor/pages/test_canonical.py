"""Which canonical address a page may give its article (``trusted_canonical``): its own
site's, normalised; never a site root, another site's page, garbage, or the entry's own
link again."""

from __future__ import annotations

import pytest

from monitor.pages import trusted_canonical

PAGE = "https://news.example/a?id=7&utm_source=feed"  # where the page was served from
LINK = "https://news.example/a?id=7"  # the entry's link, as normalised


@pytest.mark.parametrize(
    ("declared", "served_from", "trusted"),
    [
        ("https://news.example/story/1", PAGE, "https://news.example/story/1"),
        ("/story/1?utm_campaign=x#top", PAGE, ""),  # relative: resolved by the extractor
        ("https://www.news.example/story/1/", PAGE, "https://news.example/story/1"),
        ("HTTPS://NEWS.EXAMPLE/amp/story/1", PAGE, "https://news.example/story/1"),
        ("https://news.example/?p=31", PAGE, "https://news.example/?p=31"),  # not a root
        # A redirect from the entry's link (a feed proxy) to the publisher's site: its
        # site is the page's.
        ("https://paper.example/s/9", "https://paper.example/s/9?src=rss",
         "https://paper.example/s/9"),
        ("https://news.example/", PAGE, ""),  # its own home page
        ("https://news.example", PAGE, ""),
        ("https://victim.example/", PAGE, ""),  # another site's home page
        ("https://victim.example/2026/real-story", PAGE, ""),  # another site's article
        ("https://news.example:8443/story/1", PAGE, ""),  # another port, another site
        ("https://evil.news.example.attacker.test/x", PAGE, ""),
        # A section page above the article: named on every article by some sites.
        ("https://news.example/world/", "https://news.example/world/2026/story-1", ""),
        ("https://news.example/world", "https://news.example/world/2026/story-1", ""),
        ("https://news.example/world/2026/story-1", "https://news.example/world/2026/s1",
         "https://news.example/world/2026/story-1"),  # a sibling, not above it
        ("https://news.example/worldcup/x", "https://news.example/world/x",
         "https://news.example/worldcup/x"),  # whole segments only
        ("https://news.example/world/?page=2", "https://news.example/world/2026/story-1",
         "https://news.example/world?page=2"),  # with a query of its own: not a section
        ("javascript:alert(1)", PAGE, ""),
        ("ftp://news.example/story/1", PAGE, ""),
        ("https://news.exa mple/story", PAGE, ""),
        ("https://news.example/a?id=7&utm_medium=rss", PAGE, ""),  # the entry's own link
        ("", PAGE, ""),
        (None, PAGE, ""),
    ],
)  # fmt: skip
def test_a_canonical_is_trusted_on_its_pages_own_site_only(
    declared: str | None, served_from: str, trusted: str
) -> None:
    assert trusted_canonical(declared, served_from, LINK) == trusted
