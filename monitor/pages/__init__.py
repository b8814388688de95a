"""Article pages: the page an entry links to, fetched (robots.txt, politeness, caps,
redirect checks, per-feed options, as feeds are) and its article extracted (title, body,
language, author, published time, canonical URL), by trafilatura or a per-site CSS
selector. Used by the ingest path when a feed's entries carry only a teaser."""

from monitor.pages.fetch import (
    HTML_TYPES,
    PAGE_MAX_BYTES,
    AlreadyFetched,
    Late,
    PageFetcher,
    declared_charset,
    looks_like_a_wall,
)
from monitor.pages.outcome import FetchedPage, PageOutcome, PageStats
from monitor.pages.robots import ROBOTS_AGENT, RobotsRules
from monitor.pages.teaser import SHORT_TEXT_CHARS, is_teaser, wants_full_text

__all__: list[str] = [
    "HTML_TYPES",
    "PAGE_MAX_BYTES",
    "ROBOTS_AGENT",
    "SHORT_TEXT_CHARS",
    "AlreadyFetched",
    "FetchedPage",
    "Late",
    "PageFetcher",
    "PageOutcome",
    "PageStats",
    "RobotsRules",
    "declared_charset",
    "is_teaser",
    "looks_like_a_wall",
    "wants_full_text",
]
