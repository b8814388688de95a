"""What a page says about itself in its markup: language, canonical address, publication
time. Read from the parsed tree; nothing is guessed from the text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
_PUBLISHED_XPATHS = (
    '//meta[@property="article:published_time"]/@content',
    '//meta[@property="og:published_time"]/@content',
    '//meta[@itemprop="datePublished"]/@content',
    '//*[@itemprop="datePublished"]/@datetime',
    '//meta[@name="pubdate" or @name="publishdate" or @name="date"]/@content',
    '//meta[@name="DC.date.issued" or @name="dc.date" or @name="DC.date"]/@content',
)
_JSON_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


def page_language(tree: HtmlElement) -> str | None:
    """The primary language subtag, lower case ("fa" for ``fa-IR``): ``<html lang>``, then
    ``og:locale``, then the Content-Language meta."""
    candidates = (
        *tree.xpath("/html/@lang | /html/@xml:lang"),
        *tree.xpath('//meta[@property="og:locale"]/@content'),
        *tree.xpath(
            '//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content'
        ),
    )
    for value in candidates:
        found = _LANGUAGE.match(str(value).strip())
        if found:
            return found.group(1).lower()
    return None


def canonical_url(tree: HtmlElement, base_url: str) -> str | None:
    """``<link rel=canonical>``, else ``og:url``, resolved against the page's address;
    only an http(s) address counts."""
    candidates = (
        *tree.xpath(
            '//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
        ),
        *tree.xpath('//meta[@property="og:url"]/@content'),
    )
    for value in candidates:
        absolute = urljoin(base_url, str(value).strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.hostname:
            return absolute
    return None


def published_time(tree: HtmlElement) -> datetime | None:
    """The publication time in UTC from the page's meta tags, microdata or JSON-LD; a
    time without a zone is taken as UTC."""
    for xpath in _PUBLISHED_XPATHS:
        for value in tree.xpath(xpath):
            parsed = _parse_time(str(value))
            if parsed is not None:
                return parsed
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        for value in _JSON_LD_PUBLISHED.findall(str(script)):
            parsed = _parse_time(value)
            if parsed is not None:
                return parsed
    return None


def _parse_time(value: str) -> datetime | None:
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
