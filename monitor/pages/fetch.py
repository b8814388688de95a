"""Fetching the page an entry links to, through the feeds' :class:`~monitor.feeds.Fetcher`
(per-host politeness, timeouts, streamed caps applied to inflated bytes, hand-checked
redirects, the feed's proxy and TLS settings), with the rules of pages on top:

- a page cap (5 MiB by default, never above the feed's own ``max_body_bytes``); a page
  over it is reported TOO_LARGE, not used cut short;
- only ``text/html`` and ``application/xhtml+xml`` bodies are downloaded (NOT_HTML);
- redirects are followed (link shorteners and feed proxies are common) but a chain that
  ends on a login, consent or paywall page is LOGIN_OR_CONSENT, one that ends on a site's
  front page (a removed article sent home) is FRONT_PAGE, and one that takes a link on the
  feed's own site to another site is OFF_SITE: their bodies are not the article;
- robots.txt is honoured unless the feed says ``robots = false`` (:mod:`.robots`);
- a page, its robots.txt and every redirect hop may reach public addresses only
  (PRIVATE_ADDRESS, no connection made), except on the feed's own host and in the
  operator's ``page_private_networks`` (:mod:`monitor.feeds.addresses`);
- the feed's headers and credentials go only to the feed's own origin: an article on
  another site is asked for with the proxy and TLS settings alone;
- each link is fetched once: two entries asking for it at the same time share one request,
  a link fetched before is ALREADY_FETCHED (from a bounded memory of recent links, and the
  ``already_fetched`` hook, through which the store remembers links across restarts).

Failures are never raised: each is a :class:`FetchedPage` with its reason, counted per
feed and logged once per feed and reason (:class:`.outcome.FailureLog`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from email.message import Message
from typing import Final

import httpx

from monitor.config import FeedSettings
from monitor.feeds import Fetcher, FetchError, RequestOptions, canonical_url, same_origin
from monitor.pages.outcome import FailureLog, FetchedPage, PageOutcome, PageStats, PageTally
from monitor.pages.robots import RobotsRules
from monitor.records import FetchResult

MIB: Final = 1024 * 1024
PAGE_MAX_BYTES: Final = 5 * MIB
REMEMBERED_LINKS: Final = 10_000  # a day of a few hundred feeds' links, ~1 MB
HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_ACCEPT_HTML: Final = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_WALL_HOST: Final = frozenset(
    {"accounts", "account", "auth", "consent", "guce", "login", "myaccount", "paywall",
     "signin", "sso", "subscribe"}
)  # fmt: skip
_WALL_PATH: Final = re.compile(
    r"(?:^|[^a-z0-9])(?:log-?in|log-?on|sign-?in|sign_in|consent|cookie-?wall|gdpr"
    r"|subscribe|subscription|paywall)(?:[^a-z0-9]|$)"
)

AlreadyFetched = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Late:
    """The page did not come within the caller's time; ``page`` resolves when it does."""

    link: str
    page: asyncio.Future[FetchedPage]


class PageFetcher:
    """Article pages for entries, fetched once each; see the module's documentation."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        max_page_bytes: int = PAGE_MAX_BYTES,
        already_fetched: AlreadyFetched | None = None,
        remembered: int = REMEMBERED_LINKS,
        robots: RobotsRules | None = None,
        concurrency: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._max_page_bytes = max_page_bytes
        self._already_fetched = already_fetched
        self._remembered = remembered
        self._robots = robots or RobotsRules(fetcher, clock=clock)
        self._tally = PageTally()
        self._failures = FailureLog(clock)
        self._in_flight: dict[str, asyncio.Task[FetchedPage]] = {}
        # Pages in flight at once (None: as many as the fetcher allows): kept below the
        # fetcher's own limit, so slow article sites never hold every slot feeds need.
        self._slots = asyncio.Semaphore(concurrency) if concurrency else None
        self._seen: OrderedDict[str, None] = OrderedDict()

    def selector_missed(self, link: str, feed: FeedSettings) -> None:
        """Say (once per feed, then hourly) that the feed's content_selector matched
        nothing on a page of its site."""
        self._failures.selector_missed(feed.url, link, feed.content_selector or "")

    def stats(self) -> PageStats:
        return self._tally.snapshot()

    async def fetch(self, link: str, feed: FeedSettings) -> FetchedPage:
        """The page ``link`` points to, or why there is none; never raises."""
        return await asyncio.shield(self._future(link, feed))

    async def fetch_within(
        self, link: str, feed: FeedSettings, wait: float | None = None
    ) -> FetchedPage | Late:
        """The page if it comes within ``wait`` seconds (by default the feed's
        ``full_text_timeout``), else :class:`Late`: the fetch goes on, and ``Late.page``
        resolves with its result."""
        future = self._future(link, feed)
        wait = feed.full_text_timeout if wait is None else wait
        done, _ = await asyncio.wait({future}, timeout=wait)
        return future.result() if done else Late(link, future)

    async def aclose(self) -> None:
        """End fetches still in flight (their ``Late.page`` is cancelled)."""
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _future(self, link: str, feed: FeedSettings) -> asyncio.Future[FetchedPage]:
        key = canonical_url(link)
        if not key or key in self._seen:
            outcome = PageOutcome.ALREADY_FETCHED if key else PageOutcome.INVALID_URL
            return self._settled(feed, FetchedPage(link, outcome))
        task = self._in_flight.get(key)
        if task is None:
            task = self._in_flight[key] = asyncio.create_task(self._fetch_once(link, key, feed))
            task.add_done_callback(lambda _done: self._forget(key))
        return task

    def _settled(self, feed: FeedSettings, page: FetchedPage) -> asyncio.Future[FetchedPage]:
        self._counted(feed, page)
        future: asyncio.Future[FetchedPage] = asyncio.get_running_loop().create_future()
        future.set_result(page)
        return future

    def remember(self, link: str) -> None:
        """Count ``link`` as fetched: another address of a page just read (its canonical),
        so an entry linking there is not fetched again while its article is being stored."""
        key = canonical_url(link)
        if key and key not in self._in_flight:
            self._forget(key)

    def _forget(self, key: str) -> None:
        """In flight no more: remembered as fetched (the oldest forgotten past the bound)."""
        self._in_flight.pop(key, None)
        self._seen[key] = None
        while len(self._seen) > self._remembered:
            self._seen.popitem(last=False)

    async def _fetch_once(self, link: str, key: str, feed: FeedSettings) -> FetchedPage:
        if self._already_fetched is not None and await self._already_fetched(key):
            page = FetchedPage(link, PageOutcome.ALREADY_FETCHED)
        elif self._slots is None:
            page = await self._get(link, feed)
        else:
            async with self._slots:
                page = await self._get(link, feed)
        self._counted(feed, page)
        return page

    def _counted(self, feed: FeedSettings, page: FetchedPage) -> None:
        self._tally.count(feed.url, page.outcome)
        if page.outcome.failed:
            self._failures.failed(feed.url, page)

    async def _get(self, link: str, feed: FeedSettings) -> FetchedPage:
        options = self._options(link, feed)
        try:
            if feed.robots and not await self._robots.allows(link, options):
                return FetchedPage(link, PageOutcome.ROBOTS_DISALLOWED)
            page_options = replace(options, headers=(*options.headers, ("Accept", _ACCEPT_HTML)))
            result = await self._fetcher.fetch(link, options=page_options)
        except FetchError as err:
            return FetchedPage(link, PageOutcome(err.kind), status=err.status)
        except (httpx.InvalidURL, ValueError):  # a link canonical_url let through, httpx not
            return FetchedPage(link, PageOutcome.INVALID_URL)
        return _page(link, result, page_options, feed.url)

    def _options(self, link: str, feed: FeedSettings) -> RequestOptions:
        """The feed's options for a page of its own origin; elsewhere its proxy and TLS
        settings only. Capped at the page cap, and at the feed's own cap if lower."""
        options = RequestOptions.for_feed(feed)
        if not _same_origin(link, feed.url):
            options = RequestOptions(proxy=options.proxy, verify_tls=options.verify_tls)
        cap = min(self._max_page_bytes, feed.max_body_bytes or self._max_page_bytes)
        return replace(
            options,
            max_body_bytes=cap,
            media_types=HTML_TYPES,
            polls_feed=False,
            public_only=True,  # the link came from feed content: no private addresses
            trusted_host=_host(feed.url),  # but the feed's own host, which the operator set
        )


def _page(link: str, result: FetchResult, options: RequestOptions, feed_url: str) -> FetchedPage:
    outcome = PageOutcome.OK
    if _redirected(link, result.final_url):
        outcome = redirect_outcome(link, result.final_url, feed_url)
    if outcome is PageOutcome.OK and not options.wants_body(result.content_type):
        outcome = PageOutcome.NOT_HTML  # so its body was not read
    return FetchedPage(
        link,
        outcome,
        final_url=result.final_url,
        status=result.status,
        content_type=result.content_type,
        charset=declared_charset(result.content_type),
        body=result.body if outcome is PageOutcome.OK else b"",
    )


def redirect_outcome(link: str, final_url: str, feed_url: str) -> PageOutcome:
    """Whether a redirected link still ended on its article: OK, or why not."""
    if looks_like_a_wall(final_url):
        return PageOutcome.LOGIN_OR_CONSENT
    if front_page(final_url) and not front_page(link):
        return PageOutcome.FRONT_PAGE
    if same_site(link, feed_url) and not same_site(final_url, link):
        return PageOutcome.OFF_SITE  # a shortener or proxy on another site may send anywhere
    return PageOutcome.OK


def same_site(url: str, other: str) -> bool:
    """The same host, one host under the other (``example.co.uk``, ``news.example.co.uk``)
    or two hosts under one parent (``www.`` and ``m.`` of one site); ports and schemes
    aside. Without the public suffix list, two sites under one two-label suffix
    (``a.co.uk``, ``b.co.uk``) count as one: the lenient side, where a redirect is used."""
    first, second = _host(url), _host(other)
    if not first or not second or first == second:
        return bool(first) and first == second
    if _is_address(first) or _is_address(second):
        return False
    if first.endswith("." + second) or second.endswith("." + first):
        return True
    parent = first.partition(".")[2]
    return parent == second.partition(".")[2] and "." in parent


def front_page(url: str) -> bool:
    """A site's root, with no query: where a removed article is often sent."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return False
    return parsed.path in ("", "/") and not parsed.query


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host.lower().rstrip(".")
    except (httpx.InvalidURL, ValueError):
        return ""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def looks_like_a_wall(url: str) -> bool:
    """A login, consent or paywall page, by its host (``accounts.``, ``consent.``) or its
    path and query (``/login``, ``/gdpr/consent``, ``?subscribe``)."""
    parsed = httpx.URL(url)
    if any(label in _WALL_HOST for label in parsed.host.lower().split(".")[:-2]):
        return True
    where = parsed.path.lower() + "?" + parsed.query.decode("ascii", "replace").lower()
    return _WALL_PATH.search(where) is not None


def declared_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, as sent (the extractor decides
    what to make of a wrong or missing one)."""
    if not content_type:
        return None
    message = Message()
    message["Content-Type"] = content_type
    charset = message.get_param("charset")
    return charset.strip() or None if isinstance(charset, str) else None


def _redirected(link: str, final_url: str) -> bool:
    return canonical_url(final_url) != canonical_url(link)


def _same_origin(url: str, other: str) -> bool:
    try:
        return same_origin(httpx.URL(url), httpx.URL(other))
    except (httpx.InvalidURL, ValueError):
        return False
