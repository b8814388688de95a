"""feedparser-shaped dictionaries to records: the one mapping both XML paths share.

feedparser's result and the fast path's (:mod:`monitor.feeds.fast_xml`) are the same
shape: a feed dict and entry dicts keyed as feedparser keys them (``id``, ``title``,
``link``, ``summary``, ``content``, ``published_parsed``, ``tags``, ``author``, ...). Both
become a :class:`ParsedFeed` here, so the two paths cannot differ after parsing.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urljoin

from monitor.records import ParsedFeed, RawEntry

# sy:updatePeriod names (RSS 1.0 syndication module), in seconds.
_SY_PERIODS: Final = {
    "hourly": 3600.0, "daily": 86_400.0, "weekly": 604_800.0,
    "monthly": 2_592_000.0, "yearly": 31_536_000.0,
}  # fmt: skip
_MAX_TTL: Final = 31_536_000.0  # a year: anything longer is a typo or hostile
_MAX_URL_CHARS: Final = 2048


def parsed_feed(
    version: str,
    feed: dict[str, object],
    entries: Sequence[dict[str, object]],
    url: str,
    warning: str | None,
) -> ParsedFeed:
    """The record of a parsed XML document (entries already cut to the cap)."""
    return ParsedFeed(
        format=version or "unknown",
        title=text(dict.get(feed, "title")) or None,
        entries=tuple(raw_entry(entry, url) for entry in entries),
        warning=warning,
        ttl=feed_ttl(feed),
        hub=feed_link(feed, "hub", url),
        self_url=feed_link(feed, "self", url),
    )


def text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def feed_ttl(feed: dict[str, object]) -> float | None:
    """Seconds between polls the feed asks for: RSS ``<ttl>`` (minutes), else
    ``sy:updatePeriod`` divided by ``sy:updateFrequency``."""
    ttl = text(dict.get(feed, "ttl"))
    if _small_number(ttl) and int(ttl) > 0:
        return min(int(ttl) * 60.0, _MAX_TTL)
    period = _SY_PERIODS.get(text(dict.get(feed, "sy_updateperiod")).lower())
    frequency = text(dict.get(feed, "sy_updatefrequency")) or "1"
    if period is None or not _small_number(frequency) or int(frequency) < 1:
        return None
    return period / int(frequency)


def _small_number(text: str) -> bool:
    # isdigit alone accepts "²" and other digits int() refuses.
    return text.isascii() and text.isdigit() and len(text) < 9


def feed_link(feed: dict[str, object], rel: str, base_url: str) -> str | None:
    links = dict.get(feed, "links")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and dict.get(link, "rel") == rel:
            return http_url(text(dict.get(link, "href")), base_url)
    return None


def http_url(link: str, base_url: str) -> str | None:
    """``link`` made absolute, when it is an http(s) URL of sane length."""
    joined = absolute(link, base_url) if link else ""
    if not joined.startswith(("http://", "https://")) or len(joined) > _MAX_URL_CHARS:
        return None
    return joined


def absolute(link: str, base: str) -> str:
    try:
        return urljoin(base, link) if base and link else link
    except ValueError:  # e.g. a malformed IPv6 literal; normalise will drop the link
        return link


def raw_entry(entry: dict[str, object], base_url: str) -> RawEntry:
    # dict.get bypasses FeedParserDict's legacy key aliases (and their DeprecationWarnings).
    def field(key: str) -> object:
        return dict.get(entry, key)

    link = absolute(text(field("link")), base_url) or None
    return RawEntry(
        guid=text(field("id")) or link,
        title=text(field("title")),
        link=link,
        summary=text(field("summary")),
        content=_first_content(field("content")),
        published=_struct_time_utc(field("published_parsed"))
        or _struct_time_utc(field("updated_parsed")),
        tags=_tag_terms(field("tags")),
        author=text(field("author")) or None,
    )


def _first_content(contents: object) -> str:
    if not isinstance(contents, list):
        return ""
    values = (text(dict.get(c, "value")) for c in contents if isinstance(c, dict))
    return next((value for value in values if value), "")


def _tag_terms(tags: object) -> tuple[str, ...]:
    if not isinstance(tags, list):
        return ()
    terms = (text(dict.get(tag, "term")) for tag in tags if isinstance(tag, dict))
    return tuple(term for term in terms if term)


def _struct_time_utc(value: object) -> datetime | None:
    """feedparser's ``*_parsed`` values are UTC struct_times; make them aware datetimes."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None
