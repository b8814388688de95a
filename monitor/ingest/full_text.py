"""The article, not the teaser: a poll's new entries whose own text is a teaser get the
text of the page they link to (``Article.body``), which rules read as the ``body`` field.

For the entries of one poll, in order:

- the feed's ``full_text`` setting decides whether an entry wants its page
  (:func:`monitor.pages.wants_full_text`: ``auto`` fetches teasers only);
- an entry the store already holds (same GUID, link or fingerprint, its link a stored
  article's link or page canonical: what exact dedup would find) is never fetched, so a
  re-delivered entry costs no request;
- the pages are fetched together (:class:`monitor.pages.PageFetcher`: politeness, caps,
  robots.txt, each link once), each waited for at most the feed's ``full_text_timeout``;
- each page's article is extracted off the event loop, in the parse workers as feeds are
  parsed (in a thread when there are none); its trusted canonical address becomes the
  article's second link (:func:`monitor.pages.trusted_canonical`, remembered by the page
  fetcher at once), its language is kept, and its title, author and published time fill
  what the entry lacks.

A page that fails, or comes late, leaves its entry as the feed gave it: matched on the
feed's text alone, never dropped. A late page's fetch goes on in the background (it is
remembered as fetched); :attr:`PagesRead.late` hands it to
:mod:`monitor.ingest.late_pages`, which matches it once the entry is stored.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Final, Protocol, TypeVar

import structlog

from monitor.config import FeedSettings, FullText
from monitor.feeds import plain_line
from monitor.ingest.batch import find_articles
from monitor.observability import redact_url
from monitor.pages import (
    ExtractedPage,
    ExtractionIssue,
    FetchedPage,
    Late,
    PageFetcher,
    extract_article,
    trusted_canonical,
)
from monitor.pages import wants_full_text as page_wanted
from monitor.records import Article, FeedState
from monitor.store import Store

log = structlog.get_logger("monitor.ingest.full_text")

T = TypeVar("T")
LATE: Final = "late"  # the issue of a page that did not come within full_text_timeout


@dataclass(frozen=True, slots=True)
class PagesRead:
    """How one poll's pages went: ``tried`` (asked for; a link fetched before is not
    asked again, so not counted), ``read`` (gave the article's text) and why the last one
    that did not failed (a :class:`PageOutcome` or :class:`ExtractionIssue` value, or
    ``late``)."""

    tried: int = 0
    read: int = 0
    last_issue: str | None = None
    late: tuple[tuple[int, Late], ...] = ()  # (place among the articles, the page to come)

    def counted_in(self, state: FeedState) -> FeedState:
        """``state`` with this poll's pages added to the feed's counts since it was added."""
        if not self.tried:
            return state
        return replace(
            state,
            pages_tried=state.pages_tried + self.tried,
            pages_read=state.pages_read + self.read,
            page_last_issue=self.last_issue or state.page_last_issue,
        )


@dataclass(frozen=True, slots=True)
class PageReading:
    """One entry's page: its article's text ("" when none), or why there is none; what
    the page said about itself when it could be read, and its trusted canonical address."""

    text: str = ""
    issue: str | None = None
    tried: bool = True
    late: Late | None = None  # the page, still to come
    page: ExtractedPage | None = None
    canonical: str = ""


def _tally(places: Sequence[int], readings: Sequence[PageReading]) -> PagesRead:
    tried = [reading for reading in readings if reading.tried]
    issues = [reading.issue for reading in tried if not reading.text and reading.issue]
    late = zip(places, (reading.late for reading in readings), strict=True)
    return PagesRead(
        tried=len(tried),
        read=sum(1 for reading in tried if reading.text),
        last_issue=issues[-1] if issues else None,
        late=tuple((place, page) for place, page in late if page is not None),
    )


class Reading(Protocol):
    """What reading pages needs of the pipeline (:class:`monitor.ingest.pipeline.Pipeline`)."""

    @property
    def store(self) -> Store: ...
    @property
    def pages(self) -> PageFetcher | None: ...
    @property
    def parse_executor(self) -> Executor | None: ...


async def off_loop(work: Callable[[], T], executor: Executor | None) -> T:
    """``work`` in ``executor`` (the daemon's parse processes), else in a worker thread."""
    if executor is None:
        return await asyncio.to_thread(work)
    return await asyncio.get_running_loop().run_in_executor(executor, work)


async def with_pages(
    articles: Sequence[Article], feed: FeedSettings, pipe: Reading
) -> tuple[list[Article], PagesRead]:
    """``articles``, each new teaser with the text of its page as ``body`` when it came,
    and how the pages went (for the feed's counts, stored with its state)."""
    wanted = [place for place, article in enumerate(articles) if _wants(article, feed, pipe)]
    if not wanted:
        return list(articles), PagesRead()
    known = await find_articles(pipe.store, [articles[place] for place in wanted])
    new = [place for place, found in zip(wanted, known, strict=True) if found is None]
    readings = await asyncio.gather(*(_body(articles[place], feed, pipe) for place in new))
    read = list(articles)
    for place, reading in zip(new, readings, strict=True):
        read[place] = _told_by(read[place], reading)
    return read, _tally(new, readings)


def _told_by(article: Article, reading: PageReading) -> Article:
    """``article`` with what its page adds: the text as ``body``; its trusted canonical
    address (a second dedup link); its language; the title, author and publication time
    where the entry has none (the feed's own are kept: it dated and named the entry)."""
    page = reading.page
    if page is None:
        return article
    published = page.published if page.published and page.published <= article.fetched_at else None
    return replace(
        article,
        body=reading.text,
        page_canonical=reading.canonical,
        language=page.language or "",
        title=article.title or plain_line(page.title or ""),
        author=article.author or plain_line(page.author or ""),
        published=article.published or published,
    )


def _wants(article: Article, feed: FeedSettings, pipe: Reading) -> bool:
    if pipe.pages is None or feed.full_text is FullText.NEVER or not article.link:
        return False
    own = max(article.content, article.summary, key=len)  # the entry's own text
    return page_wanted(feed.full_text, own)


async def _body(article: Article, feed: FeedSettings, pipe: Reading) -> PageReading:
    """The article text of the entry's page, or why there is none (failed, late or no
    article found)."""
    assert pipe.pages is not None
    page = await pipe.pages.fetch_within(article.link, feed)
    if isinstance(page, Late):
        page.page.add_done_callback(_observed)  # whether or not it is followed up
        log.info("page_late", feed_url=redact_url(feed.url), page_url=redact_url(page.link))
        return PageReading(issue=LATE, late=page)
    return await read_page(page, feed, pipe)


async def read_page(page: FetchedPage, feed: FeedSettings, pipe: Reading) -> PageReading:
    """The article text of a fetched page, extracted off the event loop, or why there is
    none (the fetch failed, or no article was found); what the page says of itself, and
    its trusted canonical address (remembered by the page fetcher as fetched)."""
    if not page.ok:  # why is logged by the page fetcher
        return PageReading(issue=page.outcome.value, tried=page.outcome.failed)
    extracted = await _extracted(page, feed, pipe)
    if extracted is None:
        return PageReading(issue=ExtractionIssue.UNPARSABLE.value)
    if extracted.error:  # the page broke the parser or extractor: the feed goes on
        log.warning("page_unparsable", feed_url=redact_url(feed.url),
                    page_url=redact_url(page.link), error=extracted.error)  # fmt: skip
    if extracted.selector_missed and pipe.pages is not None:
        pipe.pages.selector_missed(page.link, feed)
    served_from = page.final_url or page.link
    canonical = trusted_canonical(extracted.canonical_url, served_from, page.link)
    if canonical and pipe.pages is not None:  # an entry linking there: not fetched again
        pipe.pages.remember(canonical)
    issue = None if extracted.text else (extracted.issue or ExtractionIssue.EMPTY).value
    return PageReading(extracted.text, issue, page=extracted, canonical=canonical)


async def _extracted(page: FetchedPage, feed: FeedSettings, pipe: Reading) -> ExtractedPage | None:
    work = functools.partial(
        extract_article,
        page.body,
        page.final_url or page.link,
        selector=feed.content_selector,
        declared_charset=page.charset,
    )
    try:
        return await off_loop(work, pipe.parse_executor)
    except Exception as err:  # a worker lost, say: the entry keeps the feed's text
        log.error(
            "page_extract_failed",
            feed_url=redact_url(feed.url),
            page_url=redact_url(page.link),
            error=repr(err),
        )
        return None


def _observed(future: asyncio.Future[FetchedPage]) -> None:
    """A late page's result, read so that a failure of its background fetch is never
    reported as an exception nobody retrieved (an entry whose ingest failed, or one
    past the bound of follow-ups, leaves it unread)."""
    if not future.cancelled():
        future.exception()
