"""The headline batcher (monitor.ingest.embedding.HeadlineBatcher): the headlines of
concurrent polls go to the encoder together, in batches of at most ``size``; each poll
gets its own headlines' vectors in order; a batch is sent at once when full, at the
loop's next turn when none is being embedded, else when the one being embedded is done;
a batch that fails fails its polls only, and their articles are still stored and
grouped by their words. The encoder is replaced at its seam (``encode_headlines``)
by one that records each call; the polls of the last test are real (loopback feeds,
a real SQLite store)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.config.feeds import FeedSettings
from monitor.ingest import EmbeddingStage
from monitor.ingest.embedding import HeadlineBatcher
from monitor.ingest.pipeline import poll_feed
from monitor.records import PollStatus, Verdict
from monitor.stories import embedding
from tests.monitor.ingest.test_embedding_stage import (
    HEADLINES,
    NOW,
    _pipeline,
    _rss,
    desk_rss,
)
from tests.support.feedserver import FeedServer


class Encoder:
    """Records each call's headlines; ``hold`` keeps the first call until released, and
    ``fail`` makes the calls whose first headline it names raise."""

    def __init__(self, hold: bool = False, fail: str = "") -> None:
        self.calls: list[list[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.fail = fail

    def __call__(self, titles: Sequence[str]) -> list[bytes]:
        self.calls.append(list(titles))
        self.started.set()
        self.release.wait()
        if self.fail and titles[0].startswith(self.fail):
            raise OSError("weights unreadable")
        return [f"vector of {title}".encode() for title in titles]


@pytest.fixture(name="encoder")
def _encoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Encoder:
    encoder = Encoder(**getattr(request, "param", {}))
    monkeypatch.setattr(embedding, "encode_headlines", encoder)
    return encoder


def joined(batches: list[list[str]]) -> list[str]:
    return [title for batch in batches for title in batch]


def polls(count: int, size: int, prefix: str = "feed") -> list[list[str]]:
    return [[f"{prefix} {poll} headline {n}" for n in range(size)] for poll in range(count)]


async def test_concurrent_polls_share_batches_and_each_gets_its_own_vectors(
    encoder: Encoder,
) -> None:
    batcher, titles = HeadlineBatcher(size=128), polls(10, 20)
    found = await asyncio.gather(*(batcher.embed(poll, None) for poll in titles))
    assert found == [[f"vector of {title}".encode() for title in poll] for poll in titles]
    # six polls fill the first batch (a seventh would pass 128), the other four the next
    assert encoder.calls == [joined(titles[:6]), joined(titles[6:])]


async def test_a_lone_poll_is_sent_at_once_not_held_for_a_full_batch(encoder: Encoder) -> None:
    (poll,) = polls(1, 3)
    assert await HeadlineBatcher(size=128).embed(poll, None) == [
        f"vector of {title}".encode() for title in poll
    ]
    assert encoder.calls == [poll]


@pytest.mark.parametrize("encoder", [{"hold": True}], indirect=True)
async def test_polls_that_come_while_a_batch_is_embedded_go_together_in_the_next(
    encoder: Encoder,
) -> None:
    batcher, (first, *later) = HeadlineBatcher(size=128), polls(4, 5)
    waiting = [asyncio.ensure_future(batcher.embed(first, None))]
    await asyncio.to_thread(encoder.started.wait)  # the first batch is being embedded
    waiting += [asyncio.ensure_future(batcher.embed(poll, None)) for poll in later]
    await asyncio.sleep(0)  # a turn of the loop: the later polls must not be sent yet
    assert encoder.calls == [first]
    encoder.release.set()
    await asyncio.gather(*waiting)
    assert encoder.calls == [first, joined(later)]


@pytest.mark.parametrize("encoder", [{"fail": "bad"}], indirect=True)
async def test_a_failed_batch_fails_its_own_polls_only(encoder: Encoder) -> None:
    batcher = HeadlineBatcher(size=4)
    bad, good = polls(2, 4, "bad"), polls(1, 4, "good")
    results = await asyncio.gather(
        *(batcher.embed(poll, None) for poll in [*bad, *good]), return_exceptions=True
    )
    assert [type(result).__name__ for result in results[:2]] == ["OSError", "OSError"]
    assert results[2] == [f"vector of {title}".encode() for title in good[0]]


@pytest.fixture(name="server")
def _server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.add_feed("/a.xml", _rss("a"))
        server.add_feed("/b.xml", _rss("b"))
        yield server


@pytest.mark.parametrize("encoder", [{"fail": HEADLINES[0]}], indirect=True)
async def test_polls_whose_batch_failed_are_stored_and_grouped_by_their_words(
    encoder: Encoder, server: FeedServer, tmp_path: Path
) -> None:
    """Two outlets carry the same three headlines, polled together; their batches (one
    or two, as their fetches come back) fail: said once, naming a feed; every article
    is stored without a vector, and the second outlet's copies join the first's stories."""
    feeds = [FeedSettings(url=server.url(path)) for path in ("/a.xml", "/b.xml")]
    async with _pipeline(tmp_path, EmbeddingStage()) as pipe:
        with capture_logs() as logs:
            outcomes = await asyncio.gather(*(poll_feed(feed, pipe) for feed in feeds))
        window = await pipe.store.recent_articles(NOW - timedelta(days=1))
    assert sorted(title for call in encoder.calls for title in call) == sorted(HEADLINES * 2)
    failed = [line for line in logs if line["event"] == "embedding_failed"]
    assert len(failed) == 1 and failed[0]["feed_url"] in {feed.url for feed in feeds}
    assert [outcome.status for outcome in outcomes] == [PollStatus.OK] * 2
    assert len(window) == 2 * len(HEADLINES) and {item.embedding for item in window} == {b""}
    verdicts = sorted(item.decision.verdict.value for o in outcomes for item in o.ingested)
    assert verdicts == sorted([Verdict.NEW_STORY.value] * 3 + [Verdict.FOLDED.value] * 3)


async def test_entries_the_feed_has_stored_are_not_embedded_again(
    encoder: Encoder, tmp_path: Path
) -> None:
    """A feed that gave its stored entries new GUIDs lists them again beside a new one:
    only the new one is embedded; the others are seen (found by their links), as before."""
    with FeedServer() as server:
        feed = FeedSettings(url=server.url("/d.xml"))
        async with _pipeline(tmp_path, EmbeddingStage()) as pipe:
            server.add_feed("/d.xml", desk_rss(HEADLINES[:2], "first-"))
            await poll_feed(feed, pipe)
            server.add_feed("/d.xml", desk_rss(HEADLINES, "again-"))
            again = await poll_feed(feed, pipe)
    assert encoder.calls == [list(HEADLINES[:2]), [HEADLINES[2]]]
    verdicts = [item.decision.verdict for item in again.ingested]
    assert verdicts == [Verdict.SEEN, Verdict.SEEN, Verdict.NEW_STORY]
    assert [item.article.embedding for item in again.ingested] == [
        b"",
        b"",
        f"vector of {HEADLINES[2]}".encode(),
    ]
