"""Article pages: the page an entry links to, fetched (robots.txt, politeness, caps,
redirect checks, per-feed options, as feeds are) and its article extracted (title, body,
language, author, published time, canonical URL), by trafilatura or a per-site CSS
selector. Used by the ingest path when a feed's entries carry only a teaser."""

from monitor.pages.teaser import SHORT_TEXT_CHARS, is_teaser, wants_full_text

__all__: list[str] = [
    "SHORT_TEXT_CHARS",
    "is_teaser",
    "wants_full_text",
]
