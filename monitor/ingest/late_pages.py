"""Pages that come late: an entry whose page did not come within ``full_text_timeout`` is
stored on the feed's text alone; when the page comes, it is read and matched then, and
an alert it adds goes out as a follow-up on the entry's story, never as a new story.

For each late page of a poll (or of a WebSub push), once that ingest is written:

- an entry that was SEEN (a copy of one stored before), or whose ingest failed, is not
  followed (said at debug level); nor is a page past ``MAX_FOLLOWED`` follow-ups waiting
  at once, so a feed of thousands of slow pages cannot grow memory without bound;
- the page is awaited (its fetch goes on in the page fetcher) and its article extracted
  off the event loop, as any page's (:func:`monitor.ingest.full_text.read_page`);
- the stored article is matched again with the page's text as ``body``, with ingest's
  matcher and context, and the text and the follow-ups
  :class:`~monitor.ingest.story_alerts.LatePagePlan` plans against the article's story
  are written in one transaction, queued under the ingest lock behind every ingest
  write (:meth:`~monitor.ingest.writer.IngestWriter.submit_page`);
- alerts it created wake the dispatcher.

:meth:`LatePages.aclose` ends the follow-ups still waiting, at shutdown.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Final, Protocol

import structlog

from monitor.config import FeedSettings
from monitor.ingest.batch import Ingested, Ingesting, article_fields, log_alerts, match_context
from monitor.ingest.full_text import Reading, read_page
from monitor.ingest.language import article_text, identify
from monitor.ingest.story_alerts import LatePagePlan
from monitor.ingest.writer import PageRecord
from monitor.observability import redact_url
from monitor.pages import FetchedPage, Late
from monitor.records import AlertRecord, Article, FeedState, Verdict

log = structlog.get_logger("monitor.ingest.late_pages")

# Follow-ups waiting at once: each holds a page of up to 5 MiB once it comes.
MAX_FOLLOWED: Final = 256

LatePlaces = Sequence[tuple[int, Late]]  # (place among the ingested articles, the page)


class Following(Ingesting, Reading, Protocol):
    """What following a late page needs of the pipeline."""

    @property
    def on_alerts(self) -> Callable[[], None]: ...


class LatePages:
    """The follow-ups of late pages under way, at most ``limit`` at once; ``on_raised``
    hears the alerts each one queued (the daemon's metrics)."""

    def __init__(
        self,
        limit: int = MAX_FOLLOWED,
        on_raised: Callable[[Sequence[AlertRecord]], None] = lambda _alerts: None,
    ) -> None:
        self._limit = limit
        self._on_raised = on_raised
        self._tasks: dict[asyncio.Task[None], Late] = {}
        self._read: Counter[str] = Counter()  # per feed: late pages read, not yet counted

    def counted_in(self, feed_url: str, state: FeedState) -> FeedState:
        """``state`` with the feed's late pages read since its last poll added to its
        pages read (each was counted as tried, and ``late``, by the poll it was late for)."""
        read = self._read.pop(feed_url, 0)
        return replace(state, pages_read=state.pages_read + read) if read else state

    @contextmanager
    def following(
        self, feed: FeedSettings, late: LatePlaces, pipe: Following
    ) -> Iterator[Callable[[tuple[Ingested, ...]], tuple[Ingested, ...]]]:
        """Hand the ingest's outcomes to the callable given: the late pages are followed
        from then on. An ingest that raises leaves them unfollowed."""
        try:
            yield lambda ingested: self._follow_all(feed, late, ingested, pipe)
        except BaseException:
            for _place, page in late:
                _unused(feed, page, "ingest_failed")
            raise

    def __len__(self) -> int:
        """Follow-ups under way."""
        return len(self._tasks)

    def pending(self) -> list[asyncio.Future[FetchedPage]]:
        """The pages the follow-ups under way wait for (or have)."""
        return [late.page for late in self._tasks.values()]

    async def settled(self) -> None:
        """Return once every follow-up under way (and any they lead to) has ended."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """End the follow-ups under way (pages still to come are not waited for)."""
        tasks = list(self._tasks)  # in the order they started
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _on_read(self, feed_url: str) -> Callable[[Sequence[AlertRecord]], None]:
        def read(created: Sequence[AlertRecord]) -> None:
            self._read[feed_url] += 1
            if created:
                self._on_raised(created)

        return read

    def _follow_all(
        self,
        feed: FeedSettings,
        late: LatePlaces,
        ingested: tuple[Ingested, ...],
        pipe: Following,
    ) -> tuple[Ingested, ...]:
        for place, page in late:
            outcome = ingested[place]
            if outcome.decision.verdict is Verdict.SEEN:
                _unused(feed, page, "seen")
            elif len(self._tasks) >= self._limit:
                log.info("page_late_unfollowed", feed_url=redact_url(feed.url),
                         page_url=redact_url(page.link), limit=self._limit)  # fmt: skip
            else:
                follow_up = _follow_up(feed, page, outcome, pipe, self._on_read(feed.url))
                task = asyncio.create_task(follow_up)
                self._tasks[task] = page
                task.add_done_callback(self._tasks.pop)
        return ingested


async def _follow_up(
    feed: FeedSettings,
    late: Late,
    ingested: Ingested,
    pipe: Following,
    on_read: Callable[[Sequence[AlertRecord]], None],
) -> None:
    """Read the page when it comes; match and store it (``on_read`` hears the alerts it
    queued, if any); wake the dispatcher for what it adds.
    Never raises but for cancellation: a failure is logged with the page's address."""
    try:
        page = await asyncio.shield(late.page)  # shared: cancelling this leaves the fetch
        reading = await read_page(page, feed, pipe)
        if not reading.text:  # a failed fetch is logged by the page fetcher
            _unused(feed, late, reading.issue or "empty")
            return
        hint = reading.page.language if reading.page else ""
        created = await _matched(ingested, _read_again(ingested, reading.text, hint), pipe)
    except Exception as err:
        log.error("page_late_failed", feed_url=redact_url(feed.url),
                  page_url=redact_url(late.link), error=repr(err))  # fmt: skip
        return
    if created is None:
        _unused(feed, late, "not_stored")
        return
    log.info("page_late_read", feed_url=redact_url(feed.url), page_url=redact_url(late.link),
             story_id=ingested.decision.story_id, alerts=len(created))  # fmt: skip
    log_alerts(ingested.article, created)
    on_read(created)
    if created:
        pipe.on_alerts()


def _read_again(ingested: Ingested, body: str, page_language: str | None) -> Article:
    """The stored article with its page's text, and the language it reads as with it
    (the page may say more than the feed's teaser did)."""
    article = replace(ingested.article, body=body)
    hint = ingested.article.language or page_language or ""
    return replace(article, language=identify(article_text(article), hint))


async def _matched(
    ingested: Ingested, article: Article, pipe: Following
) -> list[AlertRecord] | None:
    """``article`` (with its page) matched again; its text and language stored and the
    follow-ups it adds queued (None: the article is not stored)."""
    decision, body = ingested.decision, article.body
    runtime = pipe.runtime.current
    context = await match_context(article, decision, pipe, runtime, stored=True)
    matches = tuple(runtime.matcher.match(article_fields(article), context))
    plan = LatePagePlan(runtime.policy(), article, decision, matches, pipe.clock())
    async with pipe.ingest_lock:  # queued in the order ingest decides in
        record = PageRecord(article.article_id, body, plan, article.language)
        done = pipe.writer.submit_page(pipe.store, record)
    return await done


def _unused(feed: FeedSettings, late: Late, reason: str) -> None:
    log.debug("page_late_unused", feed_url=redact_url(feed.url),
              page_url=redact_url(late.link), reason=reason)  # fmt: skip
