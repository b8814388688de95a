"""The pipeline: one poll of one feed, from fetched bytes to queued alerts.

:func:`poll_feed` is the one place where the whole path reads in order:

    fetch → parse, normalising new entries only, and their language (process pool)
          → teasers' article pages (full_text) → language again where a page was read
          → embedding (parse pool) → dedup → match rules
          → store article + alerts (one transaction)
          → surges: each stored article counted by the surge detector (monitor.ingest.surges)
          → wake the dispatcher
          (→ pages that came late: matched then, follow-ups on the story; late_pages)

Every failure of one feed is caught here, logged with the feed's URL and kept
in its state; it never reaches the scheduler, so no broken or hostile feed can
stop the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog

from monitor.alerting import Routes
from monitor.config import FeedSettings, ListenerSettings
from monitor.feeds import (
    FeedEvent,
    Fetcher,
    FetchError,
    ParseError,
    RequestOptions,
    after_failure,
    after_gone,
    after_success,
    interval_policy,
    settle_health,
)
from monitor.ingest.batch import (
    Ingested,
    article_fields,
    ingest_batch,
    match_context,
    place_in_line,
)
from monitor.ingest.embedding import EmbeddingStage, embedded
from monitor.ingest.full_text import with_pages
from monitor.ingest.language import reidentified
from monitor.ingest.late_pages import LatePages
from monitor.ingest.parsing import (
    parse_document,
    parse_hashed,
    seen_hint,
    unseen,
    warn_malformed,
)
from monitor.ingest.runtime import RuntimeHolder
from monitor.ingest.surges import SurgeCountError, SurgeStage
from monitor.ingest.writer import IngestWriter
from monitor.observability import redact_url
from monitor.pages import PageFetcher
from monitor.records import (
    Article,
    FeedState,
    FetchResult,
    ParsedFeed,
    PollStatus,
    Verdict,
    alert_id_for,
)
from monitor.store import Store
from monitor.stories import Deduplicator, Reading

log = structlog.get_logger("monitor.ingest.pipeline")


@dataclass
class Pipeline:
    """What a poll needs, built once by the daemon (or by ``replay``). What a reload
    changes is not here but in ``runtime`` (monitor.ingest.runtime), swapped whole."""

    store: Store
    dedup: Deduplicator
    runtime: RuntimeHolder  # rules, routes, alert policy, feed tags, [daemon] settings
    fetcher: Fetcher | None = None
    max_body_bytes: int | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    on_alerts: Callable[[], None] = field(default=lambda: None)
    # Feeds are polled concurrently; classify → store → remember must not interleave, or
    # two outlets' copies of one story, arriving together, would both open a story.
    ingest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Polling (issue #6): the parse pool, WebSub, operator events.
    listener: ListenerSettings | None = None
    parse_executor: Executor | None = None  # None: a worker thread
    pages: PageFetcher | None = None  # article pages of teasers; None: feeds' text alone
    pushed: Callable[[str], bool] = field(default=lambda _url: False)  # WebSub is active
    on_feed_event: Callable[[FeedEvent], Awaitable[None]] | None = None
    on_hub: Callable[[FeedSettings, str, str], Awaitable[None]] | None = None
    rng: Callable[[], float] = field(default=random.random)
    # The state each feed was left in by this process (the only writer of feed state),
    # so a poll does not read back what the last one wrote.
    feed_states: dict[str, FeedState] = field(default_factory=dict)
    # Writes of ingested articles, in the ingest lock's order (monitor.ingest.writer).
    writer: IngestWriter = field(default_factory=IngestWriter)
    # Pages that came after their entry was ingested, followed up (closed by the daemon).
    late_pages: LatePages = field(default_factory=LatePages)
    # Headline embeddings (monitor.ingest.embedding): on unless ``[dedup] semantic = false``.
    embedding: EmbeddingStage = field(default_factory=EmbeddingStage)
    # Surge detection (monitor.ingest.surges); None: ``[surge] enabled = false``.
    surges: SurgeStage | None = None
    # Per feed, digests of the GUIDs the store had at its last poll (monitor.feeds.parse_new):
    # the parse worker does not normalise those entries again. 8 bytes a GUID.
    seen_hints: dict[str, bytes] = field(default_factory=dict)
    # The configured feeds' URLs as of the last reload (None: none yet), so a poll in
    # flight across a reload does not leave its removed feed's hint behind.
    configured: frozenset[str] | None = None

    def forget_feeds(self, removed: Sequence[str], configured: Iterable[str]) -> None:
        """After a reload: the ``removed`` feeds' parse hints go (their stored state stays)."""
        self.configured = frozenset(configured)
        for url in removed:
            self.seen_hints.pop(url, None)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    feed_url: str
    status: PollStatus
    ingested: tuple[Ingested, ...] = ()
    error: str | None = None
    state: FeedState | None = None  # the feed's state after this poll
    event: FeedEvent | None = None  # the operator event this poll raised
    entries: int = 0  # entries in the parsed document (``wirewatch_items_parsed_total``)

    @property
    def alerts(self) -> int:
        return sum(len(item.alerts) for item in self.ingested)


async def poll_feed(feed: FeedSettings, pipe: Pipeline) -> PollOutcome:
    """Poll one feed once, in order; never raises for anything the feed or network did."""
    state = await _state(feed, pipe)
    if state.disabled:
        return PollOutcome(feed.url, PollStatus.DISABLED, state=state)
    try:
        fetched = await _fetch(feed, state, pipe)  # conditional GET, polite, size-capped
        if fetched.not_modified:  # a 304: nothing to parse
            return await _unchanged(feed, state, fetched, pipe)
        known = _loop_hash(fetched, state)  # None: never parsed, hashed by the parse worker
        if known is not None and known == state.body_hash:  # the very bytes parsed last time
            return await _unchanged(feed, state, fetched, pipe)
        hint = await seen_hint(feed, pipe)  # GUIDs stored already: not normalised again
        digest, parsed = await parse_hashed(fetched, feed, pipe, hint, known)
        articles, readings = await unseen(parsed, fetched, feed, pipe)  # stored ones go
    except (FetchError, ParseError) as err:
        return await _failed(feed, state, pipe, err)
    parsed_articles = articles  # their languages identified by the parse worker
    articles, pages = await with_pages(articles, feed, pipe)  # new teasers: their pages
    articles = reidentified(articles, parsed_articles, feed.language)  # where a page was read
    articles = await embedded(articles, pipe)  # one batched call in the parse pool
    with pipe.late_pages.following(feed, pages.late, pipe) as follow:  # once ingested
        async with place_in_line(pipe) as turn:  # feeds are ingested in the order they got here
            ingested = follow(await ingest_batch(articles, pipe, turn, readings))  # dedup → outbox
    document = parsed.new.feed
    polled = PollOutcome(feed.url, PollStatus.OK, ingested, entries=len(document.entries))
    first_poll = state.last_success is None  # an undated backlog is history, not news
    polled = await _counted(polled, pipe, first_poll)  # what stood out: stories, rules, names
    after = after_success(state, fetched, document, body_hash=digest, **_poll_args(feed, pipe))
    after = pages.counted_in(after)  # stored in the same write as the rest of the state
    outcome = await _settle(feed, state, after, pipe, polled)
    _log_poll(feed, outcome, len(articles))
    await _discovered(feed, fetched, document, pipe)
    if outcome.alerts:
        pipe.on_alerts()  # the dispatcher sends what was queued
    return outcome


async def ingest_pushed(
    feed: FeedSettings, body: bytes, content_type: str | None, pipe: Pipeline
) -> PollOutcome:
    """Content a WebSub hub pushed: the same parse → normalise → ingest as a poll, and the
    same surge counting (:func:`_counted`): nothing raised for the listener to log again."""
    try:
        parsed, readings = await parse_document(body, content_type, feed, pipe, b"", url=feed.url)
    except ParseError as err:
        log.warning("websub_push_unreadable", feed_url=feed.url, error=str(err))
        return PollOutcome(feed.url, PollStatus.ERROR, error=f"parse: {err}")
    warn_malformed(parsed.feed, feed)
    # Pushed content writes no feed state: its pages are not in the feed's counts.
    articles, pages = await with_pages(list(parsed.articles), feed, pipe)
    articles = await embedded(reidentified(articles, parsed.articles, feed.language), pipe)
    with pipe.late_pages.following(feed, pages.late, pipe) as follow:
        ingested = follow(await ingest_all(articles, pipe, readings))
    entries = len(parsed.feed.entries)
    outcome = await _counted(
        PollOutcome(feed.url, PollStatus.PUSHED, ingested, entries=entries), pipe
    )
    _log_poll(feed, outcome, len(articles))
    if outcome.alerts:
        pipe.on_alerts()
    return outcome


async def _counted(outcome: PollOutcome, pipe: Pipeline, first_poll: bool = False) -> PollOutcome:
    """``outcome`` once its new articles are counted for surges; a count that raises
    (logged once by the surge stage: ``surge_count_failed``) makes it an ``ERROR`` outcome
    that still holds them. Either way they are stored and their alerts are sent, and a
    poll's feed state moves on: fetching them again would bring nothing new."""
    try:
        await surges_in(outcome.ingested, pipe, first_poll)
    except SurgeCountError as err:
        return replace(outcome, status=PollStatus.ERROR, error=str(err))
    return outcome


async def surges_in(ingested: Sequence[Ingested], pipe: Pipeline, first_poll: bool = False) -> None:
    """The new articles counted by the surge detector, when surges are on."""
    if pipe.surges is not None and ingested:
        config = pipe.runtime.current.config
        ruleset, alone = config.ruleset if config else None, pipe.writer.released == 1
        await pipe.surges.observe(ingested, ruleset, first_poll, alone=alone)


async def _state(feed: FeedSettings, pipe: Pipeline) -> FeedState:
    """The feed's state: remembered since its last poll here, else read from the store."""
    state = pipe.feed_states.get(feed.url)
    if state is None:
        state = await pipe.store.feed_state(feed.url) or FeedState(url=feed.url)
    return state


async def _fetch(feed: FeedSettings, state: FeedState, pipe: Pipeline) -> FetchResult:
    assert pipe.fetcher is not None, "polling needs a fetcher"
    url = state.fetch_url  # a 301/308 moved the feed: ask the new address
    options = RequestOptions.for_feed(feed)
    return await pipe.fetcher.fetch(url, state, max_body_bytes=pipe.max_body_bytes, options=options)


def _loop_hash(fetched: FetchResult, state: FeedState) -> str | None:
    """The 200's digest, hashed on the loop when the feed has one stored to compare it
    with (the same bytes then cost no hint read and no trip to the parse pool); a feed
    never parsed has its body hashed in the parse worker instead (decision 0085)."""
    return None if state.body_hash is None else hashlib.sha256(fetched.body).hexdigest()


def _poll_args(feed: FeedSettings, pipe: Pipeline) -> dict[str, Any]:
    return {
        "now": pipe.clock(),
        "policy": interval_policy(feed, pipe.runtime.current.daemon, pipe.listener),
        "pushed": pipe.pushed(feed.url),
        "rng": pipe.rng,
    }


async def _unchanged(
    feed: FeedSettings, state: FeedState, fetched: FetchResult, pipe: Pipeline
) -> PollOutcome:
    after = after_success(state, fetched, None, body_hash=None, **_poll_args(feed, pipe))
    status = PollStatus.NOT_MODIFIED if fetched.not_modified else PollStatus.UNCHANGED
    log.debug("feed_unchanged", feed_url=feed.url, status=status.value)
    return await _settle(feed, state, after, pipe, PollOutcome(feed.url, status))


async def _settle(
    feed: FeedSettings, before: FeedState, after: FeedState, pipe: Pipeline, outcome: PollOutcome
) -> PollOutcome:
    """Store the feed's new state; tell the operator when its health changed."""
    alert_after = pipe.runtime.current.daemon.failure_alert_after
    after = pipe.late_pages.counted_in(feed.url, after)  # pages read since, having come late
    after, event = settle_health(before, after, feed, pipe.clock(), alert_after)
    if after.moved_to and after.moved_to != before.moved_to:
        log.warning("feed_moved", feed_url=feed.url, moved_to=redact_url(after.moved_to))
    await pipe.store.save_feed_state(after)
    pipe.feed_states[feed.url] = after
    if event is not None and pipe.on_feed_event is not None:
        await pipe.on_feed_event(event)
    return replace(outcome, state=after, event=event)


async def _discovered(
    feed: FeedSettings, fetched: FetchResult, parsed: ParsedFeed, pipe: Pipeline
) -> None:
    """Offer a WebSub hub the feed advertises (Link header, else the document)."""
    hub = fetched.hub or parsed.hub
    if hub and pipe.on_hub is not None:
        topic = fetched.self_url or parsed.self_url or fetched.final_url
        await pipe.on_hub(feed, hub, topic)


async def ingest_all(
    articles: Sequence[Article], pipe: Pipeline, readings: Sequence[Reading] = ()
) -> tuple[Ingested, ...]:
    """Dedup, match and store articles in feed order (monitor.ingest.batch: one store
    transaction for the batch, with the outcome of one article at a time); ``readings``:
    their texts read beforehand, if any."""
    return await ingest_batch(articles, pipe, readings=readings)


async def ingest(article: Article, pipe: Pipeline) -> Ingested:
    """One article: dedup → rules → one transaction storing it and its new alerts."""
    return (await ingest_batch([article], pipe))[0]


__all__ = [
    "Ingested",
    "Pipeline",
    "PollOutcome",
    "Routes",
    "alert_id_for",
    "article_fields",
    "ingest",
    "ingest_all",
    "match_context",
    "poll_feed",
]


async def _failed(
    feed: FeedSettings, state: FeedState, pipe: Pipeline, err: FetchError | ParseError
) -> PollOutcome:
    kind = err.kind if isinstance(err, FetchError) else "parse"
    status = err.status if isinstance(err, FetchError) else None
    error = f"{kind}: {err}"
    log.error(
        "feed_error",
        feed_url=feed.url,
        error=error,
        status=status,
        consecutive_errors=state.error_count + 1,
    )
    if isinstance(err, FetchError) and status == 410:
        after = after_gone(state, err, pipe.clock())
        gone = PollOutcome(feed.url, PollStatus.GONE, error=error)
        return await _settle(feed, state, after, pipe, gone)
    retry_after = err.retry_after if isinstance(err, FetchError) else None
    slow = isinstance(err, FetchError) and err.slow
    args = _poll_args(feed, pipe)
    del args["pushed"]
    after = after_failure(state, error, status=status, retry_after=retry_after, slow=slow, **args)
    failed = PollOutcome(feed.url, PollStatus.ERROR, error=error)
    return await _settle(feed, state, after, pipe, failed)


def _log_poll(feed: FeedSettings, outcome: PollOutcome, entries: int) -> None:
    verdicts = [item.decision.verdict for item in outcome.ingested]
    log.info(
        "feed_polled",
        feed_url=feed.url,
        entries=entries,
        new_stories=verdicts.count(Verdict.NEW_STORY),
        folded=verdicts.count(Verdict.FOLDED),
        alerts=outcome.alerts,
    )
