"""A poll cancelled while the surges its count fired are being recorded (a shutdown past
its deadline) does not lose them: the recording runs to its end, shielded, and a save
waits for it before it takes the state; if it fails then, with nobody left to hear it,
it is logged. A save of the state the store refused is made by the next save (the
shutdown's), not forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.config import SurgeSettings
from monitor.ingest import Ingested, SurgeStage, entity_names
from monitor.ingest.surges import count_poll
from monitor.records.models import DedupDecision, StoryFacts, Verdict
from monitor.store.sqlite.store import SqliteStore
from monitor.surges import Sighting, Surge, SurgeDetector
from tests.support.full_disk import SmallDisk, small_disk
from tests.support.stories import article
from tests.support.surge_streams import MONDAY, Newsroom, in_order, one_story

SETTINGS = SurgeSettings(warmup_hours=0, min_count=5, min_outlets=5)
HANG_GUARD = 60.0  # seconds: a guard against a poll left waiting forever, not a timing


def _stored(number: int, sighting: Sighting) -> Ingested:
    facts = StoryFacts(sighting.outlet)
    decision = DedupDecision(Verdict.NEW_STORY, sighting.story_id, facts=facts)
    item = article(sighting.title, outlet=number % 7, number=number, at=sighting.at)
    return Ingested(item, decision, (), ())


def _stream() -> list[Ingested]:
    """A day of a steady newsroom, then one story from 15 outlets in 20 minutes."""
    outlets = [f"http://breaking{index}.test/feed" for index in range(15)]
    burst = one_story(MONDAY + timedelta(hours=30), 20, outlets)
    background = Newsroom(4).hours(MONDAY, 30)
    return [_stored(number, one) for number, one in enumerate(in_order(background, burst))]


@pytest.mark.parametrize("alone", [True, False])
async def test_a_poll_cancelled_mid_record_keeps_its_surges_and_state(
    tmp_path: Path, alone: bool
) -> None:
    stream = _stream()
    expected = SurgeDetector(SETTINGS)  # what the stream fires and leaves learned
    fired = count_poll(expected, stream, entity_names(None))
    assert fired, "the burst must fire for the test to mean anything"
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    recording, release = asyncio.Event(), asyncio.Event()
    recorded: list[Surge] = []

    async def held_sink(surges: Sequence[Surge]) -> None:
        recording.set()
        await release.wait()  # the cancel lands here, mid-record
        recorded.extend(surges)

    stage = SurgeStage(SurgeDetector(SETTINGS), store, held_sink)
    try:
        polled = asyncio.ensure_future(stage.observe(stream, alone=alone))
        async with asyncio.timeout(HANG_GUARD):
            await recording.wait()
            polled.cancel()
            await asyncio.wait([polled])
            release.set()
            await stage.save()
        assert polled.cancelled()
        assert recorded == fired
        assert await store.load_surge_state() == expected.snapshot()
    finally:
        await store.close()


@pytest.fixture(name="disk")
def _disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk") as disk:
        yield disk


async def test_a_state_save_the_store_refused_is_made_by_the_next_save(disk: SmallDisk) -> None:
    stream = _stream()
    expected = SurgeDetector(SETTINGS)
    fired = count_poll(expected, stream, entity_names(None))
    recorded: list[Surge] = []

    async def sink(surges: Sequence[Surge]) -> None:  # kept in memory: not on the full disk
        recorded.extend(surges)

    store = SqliteStore(str(disk.path / "ww.db"))
    await store.open()
    try:
        stage = SurgeStage(SurgeDetector(SETTINGS), store, sink)
        disk.fill()
        with capture_logs() as logs:
            assert await stage.observe(stream, alone=True) == fired == recorded
        assert "surge_state_not_saved" in [entry["event"] for entry in logs]
        disk.free()
        assert await store.write_check() is None
        await stage.save()  # the shutdown's: nothing observed since the refused save
        assert await store.load_surge_state() == expected.snapshot()
    finally:
        await store.close()


async def test_a_record_that_fails_after_its_poll_was_cancelled_is_logged(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    recording, release = asyncio.Event(), asyncio.Event()

    async def held_sink(surges: Sequence[Surge]) -> None:
        recording.set()
        await release.wait()  # the cancel lands here, mid-record

    stage = SurgeStage(SurgeDetector(SETTINGS), store, held_sink)
    polled = asyncio.ensure_future(stage.observe(_stream(), alone=True))
    async with asyncio.timeout(HANG_GUARD):
        await recording.wait()
        polled.cancel()
        await asyncio.wait([polled])
        await store.close()  # the state's save after the record then fails
        with capture_logs() as logs:
            release.set()
            with pytest.raises(RuntimeError):  # the shutdown's save, tried again, fails too
                await stage.save()
    failed = [entry for entry in logs if entry["event"] == "surge_settle_failed"]
    assert [entry["log_level"] for entry in failed] == ["error"]
    assert "database thread is closed" in failed[0]["error"]
