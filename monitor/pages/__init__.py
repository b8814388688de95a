"""Article pages: the page an entry links to, fetched (robots.txt, politeness, caps,
redirect checks, per-feed options, as feeds are) and its article extracted (title, body,
language, author, published time, canonical URL), by trafilatura or a per-site CSS
selector; which canonical address a page may give its article (:func:`trusted_canonical`).
Used by the ingest path when a feed's entries carry only a teaser."""

from monitor.pages.canonical import trusted_canonical
from monitor.pages.diagnose import ExtractionIssue
from monitor.pages.extract import ExtractedPage, ExtractionMethod, extract_article
from monitor.pages.fetch import (
    HTML_TYPES,
    PAGE_MAX_BYTES,
    AlreadyFetched,
    Late,
    PageFetcher,
    declared_charset,
    looks_like_a_wall,
    redirect_outcome,
    same_site,
)
from monitor.pages.outcome import FetchedPage, PageOutcome, PageStats
from monitor.pages.robots import ROBOTS_AGENT, RobotsRules
from monitor.pages.selector import InvalidSelectorError, compile_selector
from monitor.pages.teaser import SHORT_TEXT_CHARS, is_teaser, wants_full_text

__all__: list[str] = [
    "HTML_TYPES",
    "PAGE_MAX_BYTES",
    "ROBOTS_AGENT",
    "SHORT_TEXT_CHARS",
    "AlreadyFetched",
    "ExtractedPage",
    "ExtractionIssue",
    "ExtractionMethod",
    "FetchedPage",
    "InvalidSelectorError",
    "Late",
    "PageFetcher",
    "PageOutcome",
    "PageStats",
    "RobotsRules",
    "compile_selector",
    "declared_charset",
    "extract_article",
    "is_teaser",
    "looks_like_a_wall",
    "redirect_outcome",
    "same_site",
    "trusted_canonical",
    "wants_full_text",
]
