"""What fetching an article page came to: a page to extract, or the reason there is none;
per-feed tallies of those outcomes; and each failure logged once per feed and reason."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

import structlog

from monitor.observability import LogThrottle, redact_url

log = structlog.get_logger("monitor.pages.fetch")


class PageOutcome(StrEnum):
    OK = "ok"
    ALREADY_FETCHED = "already_fetched"  # this link's page was fetched (or tried) before
    INVALID_URL = "invalid_url"  # not an http(s) link with a host
    ROBOTS_DISALLOWED = "robots_disallowed"
    NOT_HTML = "not_html"  # PDF, image, JSON…: its body is never downloaded
    TOO_LARGE = "too_large"  # over the page cap (declared, inflated or streamed): unused
    LOGIN_OR_CONSENT = "login_or_consent"  # redirected to a login, consent or paywall page
    FRONT_PAGE = "front_page"  # redirected to a site's front page: the article is gone
    OFF_SITE = "off_site"  # a link on the feed's own site redirected to another site
    TIMEOUT = "timeout"
    CONNECT = "connect"
    HTTP_STATUS = "http_status"
    REDIRECT = "redirect"  # loop, too many, invalid or non-http(s) target
    PROTOCOL = "protocol"  # broken HTTP or compressed body
    PRIVATE_ADDRESS = "private_address"  # a non-public address, not the feed's host: not asked

    @property
    def failed(self) -> bool:
        return self not in (PageOutcome.OK, PageOutcome.ALREADY_FETCHED)


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """An article page (``outcome`` OK: ``body`` holds it, undecoded, with the charset its
    header declared, if any, for the extractor) or the reason there is none."""

    link: str
    outcome: PageOutcome
    final_url: str = ""
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    body: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome is PageOutcome.OK


@dataclass(frozen=True, slots=True)
class PageStats:
    """How article-page fetches of each feed turned out, since the daemon started."""

    feeds: Mapping[str, Mapping[PageOutcome, int]]

    def total(self, outcome: PageOutcome) -> int:
        return sum(counts.get(outcome, 0) for counts in self.feeds.values())


class PageTally:
    """Counts outcomes per feed URL (in memory); :meth:`snapshot` is a stable copy."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[PageOutcome]] = {}

    def count(self, feed_url: str, outcome: PageOutcome) -> None:
        self._counts.setdefault(feed_url, Counter())[outcome] += 1

    def snapshot(self) -> PageStats:
        order = list(PageOutcome)
        feeds = {
            url: MappingProxyType(dict(sorted(counts.items(), key=lambda i: order.index(i[0]))))
            for url, counts in sorted(self._counts.items())
        }
        return PageStats(MappingProxyType(feeds))


LOG_EVERY: Final = 3600.0  # seconds between two lines for one feed and reason


class FailureLog:
    """``page_fetch_failed`` once per (feed, reason), then at most once per ``every``
    seconds with how many were not logged: a feed whose pages all fail says so without
    a line per entry. Likewise ``content_selector_missed``: a site redesign that leaves a
    feed's ``content_selector`` matching nothing (trafilatura reads the page instead)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, every: float = LOG_EVERY):
        self._throttle = LogThrottle(every, clock)

    def failed(self, feed_url: str, page: FetchedPage) -> None:
        not_logged = self._throttle.due((feed_url, page.outcome))
        if not_logged is None:
            return
        log.warning(
            "page_fetch_failed",
            feed_url=redact_url(feed_url),
            page_url=redact_url(page.link),
            reason=page.outcome.value,
            status=page.status,
            not_logged=not_logged,
        )

    def selector_missed(self, feed_url: str, page_url: str, selector: str) -> None:
        not_logged = self._throttle.due((feed_url, "content_selector_missed"))
        if not_logged is None:
            return
        log.warning(
            "content_selector_missed",
            feed_url=redact_url(feed_url),
            page_url=redact_url(page_url),
            content_selector=selector,
            not_logged=not_logged,
        )
