"""The pipeline: one poll of one feed, from fetched bytes to queued alerts.

:func:`poll_feed` is the one place where the whole path reads in order:

    fetch → parse (worker thread) → normalise → dedup → match rules
          → store article + alerts (one transaction) → wake the dispatcher

Every failure of one feed is caught here, logged with the feed's URL and kept
in its state; it never reaches the scheduler, so no broken or hostile feed can
stop the others.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import structlog

import rules
from monitor.config import FeedSettings
from monitor.dedup import Deduplicator
from monitor.fetcher import Fetcher, FetchError
from monitor.models import (
    AlertRecord,
    Article,
    DedupDecision,
    FeedState,
    FetchResult,
    ParsedFeed,
    Verdict,
)
from monitor.normalise import normalise_entry
from monitor.parser import ParseError, parse_feed
from monitor.routing import Routes
from monitor.store import Store
from monitor.story_alerts import AlertPlan, AlertPolicy, alert_id_for

log = structlog.get_logger("monitor.pipeline")


@dataclass
class Pipeline:
    """What a poll needs, built once by the daemon (or by ``replay``)."""

    store: Store
    dedup: Deduplicator
    matcher: rules.Matcher
    routes: Routes
    fetcher: Fetcher | None = None
    max_entries: int = 1000
    max_body_bytes: int | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    on_alerts: Callable[[], None] = field(default=lambda: None)
    # Feeds are polled concurrently; classify → store → remember must not interleave, or
    # two outlets' copies of one story, arriving together, would both open a story.
    ingest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    feed_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # feed URL → tags
    # Story-aware alert semantics (updates, severity routes); default: routes alone.
    alert_policy: AlertPolicy | None = None


@dataclass(frozen=True, slots=True)
class Ingested:
    """What happened to one article."""

    article: Article
    decision: DedupDecision
    matches: tuple[rules.Match, ...]
    alerts: tuple[AlertRecord, ...]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    feed_url: str
    status: str  # "ok", "not_modified", "unchanged", "error"
    ingested: tuple[Ingested, ...] = ()
    error: str | None = None

    @property
    def alerts(self) -> int:
        return sum(len(item.alerts) for item in self.ingested)


async def poll_feed(feed: FeedSettings, pipe: Pipeline) -> PollOutcome:
    """Poll one feed once, in order; never raises for anything the feed or network did."""
    state = await pipe.store.feed_state(feed.url) or FeedState(url=feed.url)
    try:
        fetched = await _fetch(feed, state, pipe)  # conditional GET, size-capped
        if _nothing_new(fetched, state):
            return await _unchanged(feed, state, fetched, pipe)
        parsed = await _parse(fetched, pipe)  # in a worker thread, DTDs stripped
    except (FetchError, ParseError) as err:
        return await _failed(feed, state, pipe, err)
    articles = _normalise(parsed, feed, pipe)  # plain text, UTC dates, canonical links
    ingested = await ingest_all(articles, pipe)  # dedup → rules → store with outbox
    await pipe.store.save_feed_state(_healthy(state, fetched, pipe))
    outcome = PollOutcome(feed.url, "ok", ingested)
    _log_poll(feed, outcome, len(articles))
    if outcome.alerts:
        pipe.on_alerts()  # the dispatcher sends what was queued
    return outcome


async def _fetch(feed: FeedSettings, state: FeedState, pipe: Pipeline) -> FetchResult:
    assert pipe.fetcher is not None, "polling needs a fetcher"
    cap = feed.max_body_bytes or pipe.max_body_bytes
    return await pipe.fetcher.fetch(feed.url, state, max_body_bytes=cap)


def _nothing_new(fetched: FetchResult, state: FeedState) -> bool:
    """A 304, or the very bytes we parsed last time: nothing to parse again."""
    return fetched.not_modified or _body_hash(fetched) == state.body_hash


async def _parse(fetched: FetchResult, pipe: Pipeline) -> ParsedFeed:
    return await asyncio.to_thread(
        parse_feed,
        fetched.body,
        content_type=fetched.content_type,
        url=fetched.final_url,
        max_entries=pipe.max_entries,
    )


def _normalise(parsed: ParsedFeed, feed: FeedSettings, pipe: Pipeline) -> list[Article]:
    if parsed.warning:
        log.warning("feed_malformed", feed_url=feed.url, warning=parsed.warning)
    fetched_at = pipe.clock()
    return [
        normalise_entry(
            entry, feed_url=feed.url, feed_name=feed.display_name, fetched_at=fetched_at
        )
        for entry in parsed.entries
    ]


def _body_hash(fetched: FetchResult) -> str:
    return hashlib.sha256(fetched.body).hexdigest()


def _healthy(state: FeedState, fetched: FetchResult, pipe: Pipeline) -> FeedState:
    """The feed's state after a successful poll: validators kept, errors cleared."""
    return replace(
        state,
        last_polled=pipe.clock(),
        last_status=fetched.status,
        etag=fetched.etag or state.etag,
        last_modified=fetched.last_modified or state.last_modified,
        body_hash=state.body_hash if fetched.not_modified else _body_hash(fetched),
        error_count=0,
        last_error=None,
    )


async def _unchanged(
    feed: FeedSettings, state: FeedState, fetched: FetchResult, pipe: Pipeline
) -> PollOutcome:
    await pipe.store.save_feed_state(_healthy(state, fetched, pipe))
    status = "not_modified" if fetched.not_modified else "unchanged"
    log.debug("feed_unchanged", feed_url=feed.url, status=status)
    return PollOutcome(feed.url, status)


async def ingest_all(articles: Sequence[Article], pipe: Pipeline) -> tuple[Ingested, ...]:
    """Dedup, match and store articles in feed order."""
    return tuple([await ingest(article, pipe) for article in articles])


async def ingest(article: Article, pipe: Pipeline) -> Ingested:
    """One article: dedup → rules → one transaction storing it and its new alerts."""
    async with pipe.ingest_lock:
        return await _ingest_locked(article, pipe)


async def _ingest_locked(article: Article, pipe: Pipeline) -> Ingested:
    decision = await pipe.dedup.classify(article)
    if decision.verdict is Verdict.SEEN:
        return Ingested(article, decision, (), ())
    context = await match_context(article, decision, pipe)
    matches = tuple(pipe.matcher.match(article_fields(article), context))
    plan = _alert_plan(article, decision, matches, pipe)  # new alerts, or updates on change
    created = await pipe.store.record_article(article, decision, plan)
    pipe.dedup.remember(article, decision)
    for alert in created:
        log.info(
            "alert_raised",
            story_id=alert.story_id,
            rule=alert.rule,
            severity=alert.severity,
            alert_event=alert.event,
            feed_url=article.feed_url,
            title=article.title,
            notifiers=list(alert.notifiers),
        )
    return Ingested(article, decision, matches, tuple(created))


async def match_context(
    article: Article, decision: DedupDecision, pipe: Pipeline
) -> rules.MatchContext:
    """What rules know besides the text: the feed, its tags, the link, and how many distinct
    outlets have reported the story with this article (asked of the store only when some
    rule sets min_outlets; this article counts as its wire agency, else its feed)."""
    outlets = 1
    if pipe.matcher.needs_outlets and decision.verdict is not Verdict.NEW_STORY:
        known = await pipe.store.story_outlets(decision.story_id)
        outlets = len(known | {decision.facts.outlet or article.feed_url})
    return rules.MatchContext(
        feed_url=article.feed_url,
        feed_name=article.feed_name,
        feed_tags=pipe.feed_tags.get(article.feed_url, ()),
        link=article.link,
        outlets=outlets,
    )


def article_fields(article: Article) -> Mapping[str, str]:
    """The text fields rules look at."""
    return {
        "title": article.title,
        "summary": article.summary,
        "content": article.content,
        "feed": article.feed_name,
    }


def _alert_plan(
    article: Article, decision: DedupDecision, matches: tuple[rules.Match, ...], pipe: Pipeline
) -> AlertPlan:
    """The article's alerts, decided in the store's transaction (monitor.story_alerts)."""
    policy = pipe.alert_policy or AlertPolicy(pipe.routes)
    return policy.plan(article, decision, matches, pipe.clock())


__all__ = ["Ingested", "Pipeline", "PollOutcome", "Routes", "alert_id_for", "ingest", "poll_feed"]


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
    failed = replace(
        state,
        last_polled=pipe.clock(),
        last_status=status,
        error_count=state.error_count + 1,
        last_error=error[:500],
    )
    await pipe.store.save_feed_state(failed)
    return PollOutcome(feed.url, "error", error=error)


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
