"""Each new article's headline embedding (``Article.embedding``), before dedup reads it.

One poll's new articles are embedded in one call (:func:`monitor.stories.embedding.
encode_headlines`, batched), off the event loop: in the daemon's parse processes, where
feeds are parsed, else in a worker thread. ``[dedup] semantic = false`` turns the stage
off; like the rest of ``[dedup]`` it is read when the daemon starts (a reload does not
change it: docs/decisions/0014-reload.md).

Embedding is evidence, never a condition of ingest: when it fails (the package or its
model missing or unreadable, a worker gone), the articles go on with no embedding
(``b""``), grouped by their words alone, and ``embedding_failed`` says why, naming the
feed: at once, then at most once an hour for the same kind of failure.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Final, Protocol

import structlog

from monitor.ingest.full_text import off_loop
from monitor.observability import LogThrottle, redact_url
from monitor.records import Article
from monitor.stories import embedding as vectors

log = structlog.get_logger("monitor.ingest.embedding")

FAILURE_LOG_EVERY: Final = 3600.0  # seconds between lines about one kind of failure


@dataclass
class EmbeddingStage:
    """Whether the pipeline embeds headlines (``[dedup] semantic``), and its failures'
    log throttle."""

    enabled: bool = True
    failures: LogThrottle = field(default_factory=lambda: LogThrottle(FAILURE_LOG_EVERY))


class Embedding(Protocol):
    """What embedding needs of the pipeline (:class:`monitor.ingest.pipeline.Pipeline`)."""

    @property
    def embedding(self) -> EmbeddingStage: ...
    @property
    def parse_executor(self) -> Executor | None: ...


async def embedded(articles: Sequence[Article], pipe: Embedding) -> list[Article]:
    """``articles``, each with its headline's embedding (``b""`` when off or failed)."""
    stage = pipe.embedding
    if not stage.enabled or not articles:
        return list(articles)
    work = functools.partial(vectors.encode_headlines, [item.title for item in articles])
    try:
        found = await off_loop(work, pipe.parse_executor)
        return [replace(item, embedding=data) for item, data in zip(articles, found, strict=True)]
    except Exception as err:  # whatever broke, ingest goes on without embeddings
        _failed(stage, articles[0].feed_url, err)
        return list(articles)


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
