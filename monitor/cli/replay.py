"""``wirewatch replay``: feed files or URLs through parse → dedup → rules, printed as JSON lines.

A throwaway in-memory store backs dedup, so articles fold exactly as the daemon
would fold them; nothing is sent and nothing is written to disk.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import rules
from monitor.alerting import Routes
from monitor.config import Config
from monitor.daemon import build_fetcher
from monitor.feeds import FetchError, ParseError, normalise_entry, parse_feed
from monitor.ingest import (
    EmbeddingStage,
    Ingested,
    Pipeline,
    Runtime,
    RuntimeHolder,
    embedded,
    identified,
    ingest_all,
)
from monitor.observability import redact_url
from monitor.store import SqliteStore
from monitor.stories import Deduplicator


class SourceError(Exception):
    """A replay source could not be read or parsed."""


def replay_line(item: Ingested) -> dict[str, Any]:
    """The JSON-lines contract of ``wirewatch replay`` (``id``, ``language``, ``joined_by``,
    ``join_score`` and ``absorbed`` are additions; ``language`` is "" when it could not be
    told; ``absorbed``: the stories the article showed to be newer pieces of its story's
    event, merged into it (decision 0070), most often none)."""
    article = item.article
    return {
        "feed": article.feed_name,
        "title": article.title,
        "link": article.link,
        "published": article.published.isoformat() if article.published else None,
        "story_id": item.decision.story_id,
        "duplicate_of": item.decision.duplicate_of,
        "matches": [
            {"rule": m.rule, "severity": m.severity, "terms": list(m.terms)} for m in item.matches
        ],
        "id": article.article_id,
        "language": article.language,
        "joined_by": item.decision.joined_by.value,
        "join_score": _rounded(item.decision.score),
        "absorbed": list(item.decision.absorbed),
    }


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 2)


async def replay(config: Config, sources: Iterable[str], out: TextIO) -> list[str]:
    """Print one JSON object per article; return the errors of sources that failed."""
    store = SqliteStore(":memory:")
    await store.open()
    pipe = Pipeline(
        store=store,
        dedup=Deduplicator(store, config.settings.dedup),
        runtime=RuntimeHolder(
            Runtime(
                matcher=rules.compile_rules(config.ruleset),
                routes=Routes(()),
                feed_tags={feed.url: feed.tags for feed in config.settings.feeds},
                daemon=config.settings.daemon,
            )
        ),
        fetcher=build_fetcher(config.settings.daemon),
        max_body_bytes=config.settings.daemon.max_body_bytes,
        embedding=EmbeddingStage(config.settings.dedup.semantic),  # as the daemon embeds
    )
    errors: list[str] = []
    try:
        for source in sources:
            try:
                await _replay_source(config, source, pipe, out)
            except SourceError as err:
                errors.append(f"{redact_url(source)}: {err}")
    finally:
        await store.close()
        if pipe.fetcher is not None:
            await pipe.fetcher.aclose()
    return errors


async def _replay_source(config: Config, source: str, pipe: Pipeline, out: TextIO) -> None:
    body, content_type = await _read_source(source, pipe)
    max_entries = pipe.runtime.current.daemon.max_entries
    try:
        parsed = await asyncio.to_thread(
            parse_feed, body, content_type=content_type, url=source, max_entries=max_entries
        )
    except ParseError as err:
        raise SourceError(f"parse: {err}") from None
    configured = next((feed for feed in config.settings.feeds if feed.url == source), None)
    name = configured.display_name if configured else parsed.title or redact_url(source)
    language = configured.language if configured else ""  # a hint for identification
    fetched_at = datetime.now(UTC)
    articles = identified(
        [
            normalise_entry(entry, feed_url=source, feed_name=name, fetched_at=fetched_at)
            for entry in parsed.entries
        ],
        language,
    )
    for item in await ingest_all(await embedded(articles, pipe), pipe):
        out.write(json.dumps(replay_line(item), ensure_ascii=False) + "\n")
    out.flush()


async def _read_source(source: str, pipe: Pipeline) -> tuple[bytes, str | None]:
    if source.startswith(("http://", "https://")):
        assert pipe.fetcher is not None
        try:
            result = await pipe.fetcher.fetch(source)
        except FetchError as err:
            raise SourceError(f"{err.kind}: {err}") from None
        return result.body, result.content_type
    try:
        return await asyncio.to_thread(_read_file, Path(source), pipe.max_body_bytes), None
    except OSError as err:
        raise SourceError(f"cannot read: {err.strerror}") from None


def _read_file(path: Path, cap: int | None) -> bytes:
    with path.open("rb") as file:
        body = file.read(cap + 1) if cap else file.read()
    if cap and len(body) > cap:
        raise SourceError(f"larger than {cap} bytes")
    return body
