"""The surge stage's batched counting when a count fails or a poll is cancelled, and
its saves: a failed count fails its polls alone and the next count runs, a cancelled
poll's articles are still counted, and the newest state is saved last."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import monitor.ingest.surges as surge_stage
from monitor.config import SurgeSettings
from monitor.ingest import Ingested, SurgeStage
from monitor.ingest.surges import Handed, SurgeCountError, count_polls
from monitor.store.sqlite.store import SqliteStore
from monitor.surges import Surge, SurgeDetector
from tests.support.surge_batches import SETTINGS
from tests.support.surge_batches import one_by_one as _one_by_one
from tests.support.surge_batches import poll_by_poll as _poll_by_poll
from tests.support.surge_batches import stage as _stage
from tests.support.surge_batches import stream as _stream

HANG_GUARD = 60.0  # seconds: a guard against a poll left waiting forever, not a timing


def _faulty_report(like: Ingested, monkeypatch: pytest.MonkeyPatch) -> Ingested:
    """``like`` retitled "a faulty report", on which the detector's count now raises."""
    count = SurgeDetector.count

    def failing_on_faulty(detector: SurgeDetector, *args: Any, **kwargs: Any) -> None:
        if args[3] == "a faulty report":
            raise RuntimeError("a detector fault")
        count(detector, *args, **kwargs)

    monkeypatch.setattr(SurgeDetector, "count", failing_on_faulty)
    return replace(like, article=replace(like.article, title="a faulty report"))


async def test_a_poll_cancelled_while_waiting_still_has_its_articles_counted(
    tmp_path: Path,
) -> None:
    stream = _stream()
    _, alone_state = _one_by_one(stream)
    stage, _ = await _stage(tmp_path)
    try:
        first, second = stream[: len(stream) // 2], stream[len(stream) // 2 :]
        cancelled = asyncio.ensure_future(stage.observe(first))
        waiting = asyncio.ensure_future(stage.observe(second))
        await asyncio.sleep(0)  # both handed in; the count has not run yet
        cancelled.cancel()
        await waiting
        assert cancelled.cancelled()
        assert stage.detector.snapshot() == alone_state
    finally:
        await stage.store.close()


async def test_articles_handed_in_but_not_yet_counted_are_counted_by_a_save(
    tmp_path: Path,
) -> None:
    stream = _stream()
    alone, alone_state = _one_by_one(stream)
    stage, sunk = await _stage(tmp_path)
    try:
        waiting = asyncio.ensure_future(stage.observe(stream))
        await asyncio.sleep(0)  # handed in, its count still to run (a shutdown now)
        await stage.save()
        assert sunk == [alone]
        assert await stage.store.load_surge_state() == alone_state
        assert await waiting == alone  # the save counted its articles: their surges
    finally:
        await stage.store.close()


async def test_a_count_that_fails_fails_every_poll_in_it_and_the_next_count_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault while counting outside any poll's articles fails the polls of that count;
    no poll is left waiting for that count, and the polls after it are counted."""
    stream = _stream()
    stage, _ = await _stage(tmp_path)
    counts: list[int] = []

    def failing_first(
        detector: SurgeDetector, handed: list[Handed], *rest: Any
    ) -> list[list[Surge]]:
        counts.append(len(handed))
        if len(counts) == 1:
            raise RuntimeError("a detector fault")
        return count_polls(detector, handed, *rest)

    monkeypatch.setattr(surge_stage, "count_polls", failing_first)
    try:
        async with asyncio.timeout(HANG_GUARD):
            failed = await asyncio.gather(
                stage.observe(stream[:100]), stage.observe(stream[100:200]),
                return_exceptions=True,
            )  # fmt: skip
            assert [type(outcome) for outcome in failed] == [RuntimeError, RuntimeError]
            await stage.observe(stream[200:])
        assert counts == [2, 1]
    finally:
        await stage.store.close()


async def test_a_poll_whose_count_fails_fails_alone_and_the_others_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detector raising on one poll's article fails that poll only, logged with its
    feed (surge_count_failed): the polls counted with it, before and after, have their
    articles counted, what they fired recorded and the state saved, as each alone."""
    stream = _stream()
    alone, alone_state = _one_by_one(stream)
    stage, sunk = await _stage(tmp_path)
    faulty = _faulty_report(stream[0], monkeypatch)
    half = len(stream) // 2
    try:
        with capture_logs() as logs:
            async with asyncio.timeout(HANG_GUARD):
                first, failed, last = await asyncio.gather(
                    stage.observe(stream[:half]), stage.observe([faulty]),
                    stage.observe(stream[half:]), return_exceptions=True,
                )  # fmt: skip
        assert isinstance(failed, SurgeCountError)
        assert isinstance(failed.__cause__, RuntimeError)
        assert isinstance(first, list) and isinstance(last, list)
        assert [first, last] == _poll_by_poll([stream[:half], stream[half:]])
        assert [*first, *last] == alone
        assert [surge for fired in sunk for surge in fired] == alone
        assert stage.detector.snapshot() == alone_state
        assert await stage.store.load_surge_state() == alone_state
        noted = [entry for entry in logs if entry["event"] == "surge_count_failed"]
        assert [entry["feed_url"] for entry in noted] == [faulty.article.feed_url]
    finally:
        await stage.store.close()


@pytest.mark.parametrize("alone", [True, False], ids=["counted at once", "gathered"])
async def test_a_poll_whose_count_fails_records_what_its_earlier_articles_fired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alone: bool
) -> None:
    """The detector raising on a poll's last article: the surges its earlier articles
    fired (their cooldowns are in the detector already) are recorded and the state saved,
    then the poll fails with the error, logged once with its feed (surge_count_failed)."""
    stream = _stream()
    alone_fired, alone_state = _one_by_one(stream)
    stage, sunk = await _stage(tmp_path)
    faulty = _faulty_report(stream[0], monkeypatch)
    try:
        with capture_logs() as logs, pytest.raises(SurgeCountError) as failed:
            async with asyncio.timeout(HANG_GUARD):
                await stage.observe([*stream, faulty], alone=alone)
        assert alone_fired and [surge for fired in sunk for surge in fired] == alone_fired
        assert failed.value.fired == alone_fired
        assert isinstance(failed.value.__cause__, RuntimeError)
        assert await stage.store.load_surge_state() == alone_state
        noted = [entry for entry in logs if entry["event"] == "surge_count_failed"]
        assert [(entry["feed_url"], entry["error"]) for entry in noted] == [
            (faulty.article.feed_url, "RuntimeError: a detector fault")
        ]
    finally:
        await stage.store.close()


async def test_a_save_waits_for_a_count_whose_first_poll_was_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shutdown cancels the polls, then saves: a count still recording its surges (its
    first poll cancelled while gathering) is awaited, so its surges are recorded before
    the state is taken and the save returns (then the store is closed)."""
    stream = _stream()
    alone, alone_state = _one_by_one(stream)
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    recording, release, steps = asyncio.Event(), asyncio.Event(), []

    async def held_sink(surges: Sequence[Surge]) -> None:
        recording.set()
        await release.wait()
        steps.append(f"recorded {len(surges)}")

    stage = SurgeStage(SurgeDetector(SETTINGS), store, held_sink)
    snapshot_document = stage.detector.snapshot_document

    def taken() -> dict[str, Any]:
        steps.append("state taken")
        return snapshot_document()

    monkeypatch.setattr(stage.detector, "snapshot_document", taken)
    try:
        cancelled = asyncio.ensure_future(stage.observe(stream))
        await asyncio.sleep(0)  # handed in, gathering
        cancelled.cancel()
        async with asyncio.timeout(HANG_GUARD):
            await recording.wait()  # counted; its surges being recorded
            saving = asyncio.ensure_future(stage.save())
            await asyncio.sleep(0)  # the save's first step
            release.set()
            await saving
        assert cancelled.cancelled()
        assert steps == [f"recorded {len(alone)}", "state taken"]
        assert await store.load_surge_state() == alone_state
    finally:
        await store.close()


class _HeldStore(SqliteStore):
    """A real SQLite store whose first surge-state save waits until ``release`` is set."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.release = asyncio.Event()
        self.saves = 0

    async def save_surge_state(self, state: bytes, instance: str = "") -> None:
        self.saves += 1
        if self.saves == 1:
            await self.release.wait()
        await super().save_surge_state(state, instance)


async def _inline(fn: Any, /, *args: Any) -> Any:
    return fn(*args)


async def test_saves_one_after_another_the_newest_state_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two saves at once (two polls settling, say) are written one after the other, each
    with the state as it is when its turn comes: an older state written last would lose
    what was learned since (and the cooldowns of what fired) at the next restart.

    The state is encoded inline so the second save reaches the store in one step, while
    the first one's write is held."""
    monkeypatch.setattr(asyncio, "to_thread", _inline)
    store = _HeldStore(str(tmp_path / "ww.db"))
    await store.open()
    stage = SurgeStage(SurgeDetector(SurgeSettings()), store)  # warming up: nothing fires
    quiet = _stream()[:80]
    try:
        await stage.observe(quiet[:40], alone=True)
        first = asyncio.ensure_future(stage.save())
        await asyncio.sleep(0)  # its write is held
        await stage.observe(quiet[40:], alone=True)
        second = asyncio.ensure_future(stage.save())
        await asyncio.sleep(0)  # its write is asked for, or it waits for the first
        store.release.set()
        await asyncio.gather(first, second)
        assert await store.load_surge_state() == stage.detector.snapshot()
    finally:
        await store.close()
