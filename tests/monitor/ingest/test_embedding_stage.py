"""The embedding stage (monitor.ingest.embedding) in a real poll: a feed served on loopback,
a real SQLite store. Each new article is stored with its headline's embedding, computed in
a worker thread or in a real parse process; ``[dedup] semantic = false`` computes none
(read from the config by a real ``wirewatch run --once``); an encoder that fails is said
once, naming the feed, and every article is stored all the same."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import rules
from monitor.alerting import Routes
from monitor.cli.main import main
from monitor.config.feeds import FeedSettings
from monitor.config.settings import DedupSettings
from monitor.feeds import ParsePool
from monitor.feeds.fetcher import Fetcher
from monitor.ingest import EmbeddingStage
from monitor.ingest.pipeline import Pipeline, poll_feed
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.records import PollStatus
from monitor.store.sqlite.store import SqliteStore
from monitor.stories import Deduplicator, embedding
from monitor.stories.embedding import SIZE, encode_headlines, vector_of
from tests.support.configs import quiet_daemon
from tests.support.feedserver import FeedServer

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
HEADLINES = (
    "Harbour crane collapses onto a container ship in high winds",
    "UPDATE 1-Flood waters close the northern railway for a second day",
    "Рыбаки спасли экипаж затонувшего буксира у побережья",
)


def _rss(prefix: str) -> bytes:
    return desk_rss(HEADLINES, prefix, link_prefix=prefix)


def desk_rss(titles: Sequence[str], guid_prefix: str, *, link_prefix: str = "") -> bytes:
    """An RSS feed of ``titles``, GUIDs and links numbered after their prefixes."""
    items = "".join(
        f"<item><title>{title}</title><guid>{guid_prefix}{n}</guid>"
        f"<link>http://desk.test/{link_prefix}{n}</link></item>"
        for n, title in enumerate(titles)
    )
    channel = f"<channel><title>Desk</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


@pytest.fixture(name="server")
def _server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.add_feed("/a.xml", _rss("a"))
        server.add_feed("/b.xml", _rss("b"))
        yield server


@asynccontextmanager
async def _pipeline(
    tmp_path: Path, stage: EmbeddingStage, executor: Executor | None = None
) -> AsyncIterator[Pipeline]:
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    ruleset = rules.load_ruleset([rules.RuleSource(name="empty.toml", text="")])
    try:
        async with Fetcher() as fetcher:
            yield Pipeline(
                store=store, dedup=Deduplicator(store, DedupSettings()),
                runtime=RuntimeHolder(Runtime(rules.compile_rules(ruleset), Routes(()))),
                fetcher=fetcher, clock=lambda: NOW, parse_executor=executor, embedding=stage,
            )  # fmt: skip
    finally:
        await store.close()


async def _stored(pipe: Pipeline) -> dict[str, bytes]:
    """Each stored article's embedding as the window reads it back, by headline."""
    window = await pipe.store.recent_articles(NOW - timedelta(days=1))
    return {item.title: item.embedding for item in window}


@pytest.mark.parametrize("workers", [0, 1], ids=["worker-thread", "parse-process"])
async def test_each_new_article_is_stored_with_its_headlines_embedding(
    server: FeedServer, tmp_path: Path, workers: int
) -> None:
    pool = ParsePool(workers) if workers else None
    try:
        async with _pipeline(tmp_path, EmbeddingStage(), pool) as pipe:
            outcome = await poll_feed(FeedSettings(url=server.url("/a.xml")), pipe)
            stored = await _stored(pipe)
    finally:
        if pool is not None:
            pool.shutdown()
    assert outcome.status is PollStatus.OK
    assert sorted(stored) == sorted(HEADLINES)
    for title, vector in stored.items():
        assert len(vector) == SIZE
        (alone,) = encode_headlines([title])  # each article has its own headline's vector
        assert float(vector_of(vector) @ vector_of(alone)) > 0.9999


async def test_an_encoder_that_fails_is_said_once_and_every_article_is_stored(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(titles: object) -> list[bytes]:
        raise OSError("resources/weights.npz: unreadable")

    monkeypatch.setattr(embedding, "encode_headlines", unreadable)
    feeds = [FeedSettings(url=server.url(path)) for path in ("/a.xml", "/b.xml")]
    async with _pipeline(tmp_path, EmbeddingStage()) as pipe:
        with capture_logs() as logs:
            outcomes = [await poll_feed(feed, pipe) for feed in feeds]
        window = await pipe.store.recent_articles(NOW - timedelta(days=1))
    failed = [line for line in logs if line["event"] == "embedding_failed"]
    assert [(line["feed_url"], line["error"], line["log_level"]) for line in failed] == [
        (feeds[0].url, "OSError: resources/weights.npz: unreadable", "error")
    ]  # the second feed's failure, of the same kind, within the hour: counted, not said
    assert [outcome.status for outcome in outcomes] == [PollStatus.OK] * 2
    assert len(window) == 2 * len(HEADLINES)
    assert {item.embedding for item in window} == {b""}


@pytest.mark.parametrize(("semantic", "sizes"), [("true", {SIZE}), ("false", {None})])
def test_the_daemon_embeds_unless_dedup_semantic_is_false(
    server: FeedServer, tmp_path: Path, semantic: str, sizes: set[int | None]
) -> None:
    config = tmp_path / "ww.toml"
    config.write_text(
        f"{quiet_daemon(tmp_path / 'ww.db')}[dedup]\nsemantic = {semantic}\n"
        f'[[feeds]]\nurl = "{server.url("/a.xml")}"\n'
    )
    assert main(["run", "--once", "--config", str(config)]) == 0
    with sqlite3.connect(tmp_path / "ww.db") as db:
        stored = [row[0] for row in db.execute("SELECT length(embedding) FROM articles")]
    assert len(stored) == len(HEADLINES)
    assert set(stored) == sizes
