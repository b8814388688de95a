"""Parsing a fetched document for the pipeline (:mod:`monitor.ingest.pipeline`): off the
event loop, with the hint of the GUIDs the store has (their entries are not normalised
again), each new entry's language identified and its text read for grouping there too
(:func:`read_new`), and the new articles without those the feed stored already.

The texts read travel with the articles (:class:`Parsed`) and are handed to dedup when
the batch's turn to be ingested comes (:mod:`monitor.ingest.batch`): handed at parse
time, as many polls' texts as were parsed while earlier batches were grouped crowded
out of dedup's bounded store the very ones to be grouped next, which the event loop
then read again."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import NamedTuple, Protocol

import structlog

from monitor.config import FeedSettings
from monitor.feeds import ParsedNew, declared_guid, guid_digests, parse_new
from monitor.ingest.full_text import off_loop
from monitor.ingest.language import identified
from monitor.ingest.runtime import PipelineParts
from monitor.records import Article, FetchResult, ParsedFeed
from monitor.stories import Reading, reading_of

log = structlog.get_logger("monitor.ingest.pipeline")  # as before the move: feed_malformed

# A first poll's hint: the feed's latest stored GUIDs, up to this many times the entries
# a document may list (entries that left the feed and came back are merely normalised).
_HINT_FACTOR = 2


class Parsing(PipelineParts, Protocol):
    """What parsing needs of the pipeline (:class:`monitor.ingest.pipeline.Pipeline`)."""

    @property
    def parse_executor(self) -> Executor | None: ...
    @property
    def seen_hints(self) -> dict[str, bytes]: ...
    @property
    def configured(self) -> frozenset[str] | None: ...


class Parsed(NamedTuple):
    """A parsed document's new entries, and their texts read for grouping."""

    new: ParsedNew
    readings: tuple[Reading, ...]


async def parse_document(
    body: bytes,
    content_type: str | None,
    feed: FeedSettings,
    pipe: Parsing,
    hint: bytes = b"",
    *,
    url: str | None = None,
) -> Parsed:
    """:func:`parse_new` off the event loop: in the daemon's process pool, else a thread,
    with the new articles' languages and their texts read for grouping (:func:`read_new`).
    Entries ``hint`` names are not normalised (monitor.feeds.parse_new)."""
    parse = _parse_job(body, content_type, feed, pipe, hint=hint, url=url)
    work = functools.partial(read_new, parse, feed.language)
    parsed, readings = await off_loop(work, pipe.parse_executor)
    return Parsed(parsed, readings)


async def parse_hashed(
    fetched: FetchResult, feed: FeedSettings, pipe: Parsing, hint: bytes, digest: str | None
) -> tuple[str, Parsed]:
    """:func:`parse_document` of the fetched body, and the body's digest: ``digest`` when
    the event loop hashed it already (to compare with a stored one), else hashed in the
    parse worker beside the parse (:func:`read_hashed`), where hashlib's release of the
    GIL costs the loop nothing (decision 0085)."""
    body, url = fetched.body, fetched.final_url
    parse = _parse_job(body, fetched.content_type, feed, pipe, hint=hint, url=url)
    if digest is not None:
        read = await off_loop(
            functools.partial(read_new, parse, feed.language), pipe.parse_executor
        )
        return digest, Parsed(*read)
    hashed, read = await off_loop(
        functools.partial(read_hashed, parse, feed.language, body), pipe.parse_executor
    )
    return hashed, Parsed(*read)


def _parse_job(
    body: bytes,
    content_type: str | None,
    feed: FeedSettings,
    pipe: Parsing,
    *,
    hint: bytes,
    url: str | None,
) -> Callable[[], ParsedNew]:
    return functools.partial(
        parse_new,
        body,
        content_type=content_type,
        url=url if url is not None else feed.url,
        max_entries=pipe.runtime.current.daemon.max_entries,
        feed_url=feed.url,
        feed_name=feed.display_name,
        fetched_at=pipe.clock(),
        seen=hint,
    )


def read_new(
    parse: Callable[[], ParsedNew], feed_language: str
) -> tuple[ParsedNew, tuple[Reading, ...]]:
    """``parse``, then, in the parse worker, each new article's language identified and
    its text read as grouping reads it whatever the window holds (``reading_of``): work
    the event loop's one core, which groups articles one after another, then leaves to
    the workers'. An article whose page changes it is identified and read again on the
    loop (:func:`monitor.ingest.language.reidentified`; dedup reads a text it was not
    handed)."""
    parsed = parse()
    articles = tuple(identified(parsed.articles, feed_language))
    return replace(parsed, articles=articles), tuple(map(reading_of, articles))


def read_hashed(
    parse: Callable[[], ParsedNew], feed_language: str, body: bytes
) -> tuple[str, tuple[ParsedNew, tuple[Reading, ...]]]:
    """In the parse worker: ``body``'s SHA-256 (hex, as the feed's state keeps it), and
    :func:`read_new`."""
    return hashlib.sha256(body).hexdigest(), read_new(parse, feed_language)


async def seen_hint(feed: FeedSettings, pipe: Parsing) -> bytes:
    """Digests of the GUIDs the store had at the feed's last poll here; on its first poll
    since start, those of its latest stored articles (one indexed read), so that even
    then the worker normalises and returns only the entries that are new."""
    hint = pipe.seen_hints.get(feed.url)
    if hint is None:
        limit = _HINT_FACTOR * pipe.runtime.current.daemon.max_entries
        hint = guid_digests(await pipe.store.latest_guids(feed.url, limit))
    return hint


async def unseen(
    parsed: Parsed, fetched: FetchResult, feed: FeedSettings, pipe: Parsing
) -> tuple[list[Article], tuple[Reading, ...]]:
    """The new articles without those whose declared GUID this feed has stored already: a
    changed feed repeats most of its entries. (Dedup would call them SEEN; entries
    without a GUID still go through it.) Remembers the stored GUIDs as the next poll's
    hint; parses again without a hint when it named an entry the store does not have.
    Returns the articles and the texts read with them."""
    new = parsed.new
    guids = {guid for entry in new.feed.entries if (guid := declared_guid(entry))}
    known = await pipe.store.known_guids(feed.url, sorted(guids)) if guids else set()
    if not new.hinted <= known:  # a digest collision, or a crash before the store
        parsed = await parse_document(
            fetched.body, fetched.content_type, feed, pipe, b"", url=fetched.final_url
        )
        new = parsed.new
    warn_malformed(new.feed, feed)
    remember_hint(feed, pipe, guid_digests(known))  # what the store confirmed, alone
    articles = [
        article
        for article, guid in zip(new.articles, new.declared, strict=True)
        if guid is None or guid not in known
    ]
    return articles, parsed.readings


def remember_hint(feed: FeedSettings, pipe: Parsing, hint: bytes) -> None:
    """``hint`` (GUIDs the store confirmed) for the feed's next parse, unless a reload
    removed the feed meanwhile."""
    if pipe.configured is None or feed.url in pipe.configured:
        pipe.seen_hints[feed.url] = hint


def warn_malformed(parsed: ParsedFeed, feed: FeedSettings) -> None:
    if parsed.warning:  # a bozo feed: processed, with the parser's complaint logged
        log.warning("feed_malformed", feed_url=feed.url, warning=parsed.warning)
