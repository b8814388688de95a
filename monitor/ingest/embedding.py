"""Each new article's headline embedding (``Article.embedding``), before dedup reads it.

The new articles of concurrent polls are embedded together (:class:`HeadlineBatcher`):
one call of up to :data:`~monitor.stories.embedding.BATCH` headlines
(:func:`monitor.stories.embedding.encode_headlines`), off the event loop: in the daemon's
parse processes, where feeds are parsed, else in a worker thread. A batch is sent when
it is full, or when none is being embedded: at the next turn of the event loop, which
gathers every poll that got there meanwhile; while one is embedded the next fills up.
This saves round trips to the pool (one per batch, not per poll); the encoder's own cost
per headline is about the same in batches of 20 and of 128 on our 2 cores
(docs/decisions/0045-headline-batches.md). ``[dedup] semantic = false`` turns the stage
off; like the rest of ``[dedup]`` it is read when the daemon starts (a reload does not
change it: docs/decisions/0014-reload.md).

Embedding is evidence, never a condition of ingest: when it fails (the package or its
model missing or unreadable, a worker gone), the articles go on with no embedding
(``b""``), grouped by their words alone, and ``embedding_failed`` says why, naming the
feed: at once, then at most once an hour for the same kind of failure.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Final, Protocol

import structlog

from monitor.ingest.batch import find_articles
from monitor.ingest.full_text import off_loop
from monitor.observability import LogThrottle, redact_url
from monitor.records import Article
from monitor.store import Store
from monitor.stories import embedding as vectors

log = structlog.get_logger("monitor.ingest.embedding")

FAILURE_LOG_EVERY: Final = 3600.0  # seconds between lines about one kind of failure


# One poll's headlines waiting for their batch, and where their vectors go.
_Request = tuple[list[str], "asyncio.Future[list[bytes]]"]


class HeadlineBatcher:
    """Headlines of concurrent polls, sent to be embedded in batches of up to ``size``."""

    def __init__(self, size: int = vectors.BATCH) -> None:
        self.size = size
        self._pending: list[_Request] = []
        self._waiting = 0  # headlines in ``_pending``
        self._in_flight = 0  # batches being embedded
        self._turn_asked = False  # a send at the loop's next turn is scheduled

    async def embed(self, titles: Sequence[str], executor: Executor | None) -> list[bytes]:
        """Each title's embedding, in order (raises what embedding its batch raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[bytes]] = loop.create_future()
        self._pending.append((list(titles), future))
        self._waiting += len(titles)
        while self._waiting >= self.size:
            self._send(executor)
        if self._pending and not self._in_flight and not self._turn_asked:
            self._turn_asked = True
            loop.call_soon(self._on_turn, executor)
        return await future

    def _on_turn(self, executor: Executor | None) -> None:
        self._turn_asked = False
        if not self._in_flight:
            self._send(executor)

    def _send(self, executor: Executor | None) -> None:
        """Embed what is pending, in one call (up to ``size`` headlines, or one request)."""
        batch: list[_Request] = []
        count = 0
        while self._pending and (not batch or count + len(self._pending[0][0]) <= self.size):
            request = self._pending.pop(0)
            batch.append(request)
            count += len(request[0])
        self._waiting -= count
        if not batch:
            return
        titles = [title for request, _ in batch for title in request]
        work = functools.partial(vectors.encode_headlines, titles)  # read now: tests swap it
        self._in_flight += 1
        sent = asyncio.ensure_future(off_loop(work, executor))
        sent.add_done_callback(functools.partial(self._embedded, batch, executor))

    def _embedded(
        self, batch: list[_Request], executor: Executor | None, sent: asyncio.Future[list[bytes]]
    ) -> None:
        self._in_flight -= 1
        failed = sent.cancelled() or sent.exception() is not None
        found = [] if failed else sent.result()
        start = 0
        for titles, future in batch:
            if not future.done():  # its poll may have been cancelled
                if failed:
                    future.set_exception(_failure_of(sent))
                else:
                    future.set_result(found[start : start + len(titles)])
            start += len(titles)
        if self._pending:
            self._send(executor)


def _failure_of(sent: asyncio.Future[list[bytes]]) -> BaseException:
    if sent.cancelled():
        return RuntimeError("the embedding batch was cancelled")
    error = sent.exception()
    assert error is not None
    return error


@dataclass
class EmbeddingStage:
    """Whether the pipeline embeds headlines (``[dedup] semantic``), its batcher, and its
    failures' log throttle."""

    enabled: bool = True
    failures: LogThrottle = field(default_factory=lambda: LogThrottle(FAILURE_LOG_EVERY))
    batcher: HeadlineBatcher = field(default_factory=HeadlineBatcher)


class Embedding(Protocol):
    """What embedding needs of the pipeline (:class:`monitor.ingest.pipeline.Pipeline`)."""

    @property
    def embedding(self) -> EmbeddingStage: ...
    @property
    def parse_executor(self) -> Executor | None: ...
    @property
    def store(self) -> Store: ...


async def embedded(articles: Sequence[Article], pipe: Embedding) -> list[Article]:
    """``articles``, each with its headline's embedding (``b""`` when off or failed, and
    for the ones this feed has stored already: dedup will call them seen and drop them)."""
    stage = pipe.embedding
    if not stage.enabled or not articles:
        return list(articles)
    wanted = await _not_stored(articles, pipe.store)
    try:
        found = await stage.batcher.embed([articles[p].title for p in wanted], pipe.parse_executor)
    except Exception as err:  # whatever broke, ingest goes on without embeddings
        _failed(stage, articles[0].feed_url, err)
        return list(articles)
    done = list(articles)
    for place, data in zip(wanted, found, strict=True):
        done[place] = replace(articles[place], embedding=data)
    return done


async def _not_stored(articles: Sequence[Article], store: Store) -> list[int]:
    """Places of the articles this feed has not stored (its entries without a GUID, or
    re-GUIDed, found by link or fingerprint: ``Deduplicator.decide``'s seen ones)."""
    try:
        known = await find_articles(store, articles)
    except Exception:  # the store's trouble is ingest's to report (it looks them up again)
        return list(range(len(articles)))
    return [
        place
        for place, (article, match) in enumerate(zip(articles, known, strict=True))
        if match is None or match.feed_url != article.feed_url
    ]


def _failed(stage: EmbeddingStage, feed_url: str, err: Exception) -> None:
    """Log the failure, unless one of its kind (the exception's class) was this hour."""
    kind = type(err).__name__
    not_logged = stage.failures.due(kind)
    if not_logged is None:
        return
    log.error(
        "embedding_failed",
        feed_url=redact_url(feed_url),
        error=f"{kind}: {err}",
        not_logged=not_logged,
    )
