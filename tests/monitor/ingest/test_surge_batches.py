"""The surge stage counts the polls handed in together in one pass: every article is
counted as it would be one poll at a time (same surges, same learned state), polls
that reach the stage in the same turn of the event loop share one count, a poll its write
let go alone is counted at once, and each poll is answered with what its own articles
made fire."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.config import SurgeSettings
from monitor.ingest import entity_names, sighting_of
from monitor.ingest.surges import Handed, count_handed
from monitor.records.models import Verdict
from monitor.surges import SurgeDetector, SurgeKind
from tests.support.surge_batches import SETTINGS
from tests.support.surge_batches import counts_noted as _counts_noted
from tests.support.surge_batches import one_by_one as _one_by_one
from tests.support.surge_batches import poll_by_poll as _poll_by_poll
from tests.support.surge_batches import polls as _polls
from tests.support.surge_batches import stage as _stage
from tests.support.surge_batches import stream as _stream


@pytest.mark.parametrize("poll_size", [1, 3, 17, 250, 100_000])
@pytest.mark.parametrize("polls_a_count", [1, 4])
def test_polls_counted_together_fire_and_learn_as_counted_one_by_one(
    poll_size: int, polls_a_count: int
) -> None:
    stream = _stream()
    alone, alone_state = _one_by_one(stream)
    assert alone, "the burst must fire for the comparison to mean anything"
    detector, entities = SurgeDetector(SETTINGS), entity_names(None)
    handed = [Handed(poll, entities) for poll in _polls(stream, poll_size)]
    fired = []
    for start in range(0, len(handed), polls_a_count):
        fired += count_handed(detector, handed[start : start + polls_a_count])
    assert fired == alone
    assert detector.snapshot() == alone_state


def test_a_first_polls_undated_articles_go_to_the_baselines_in_their_place() -> None:
    stream = _stream()
    undated = [replace(item, article=replace(item.article, published=None)) for item in stream]
    detector, entities = SurgeDetector(SETTINGS), entity_names(None)
    count_handed(detector, [Handed(undated[:300], entities, first_poll=True)])
    count_handed(detector, [Handed(stream[300:], entities)])
    expected = SurgeDetector(SETTINGS)
    for number, item in enumerate(stream):
        if item.decision.verdict is Verdict.SEEN:
            continue
        if number < 300:
            expected.remember(sighting_of(undated[number], entities))
        else:
            expected.observe(sighting_of(item, entities))
    assert detector.snapshot() == expected.snapshot()


async def test_polls_ready_together_share_one_count_in_the_order_handed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = _stream()
    alone, alone_state = _one_by_one(stream)
    stage, sunk = await _stage(tmp_path)
    counts = _counts_noted(monkeypatch)
    try:
        polls = list(_polls(stream, 40))
        returned = await asyncio.gather(*(stage.observe(poll) for poll in polls))
        assert counts == [polls]
        assert stage.detector.snapshot() == alone_state
        assert sunk == [alone]  # one count: what fired handed on once, in firing order
        own = _poll_by_poll(polls)
        assert sum(1 for fired in own if fired) > 1, "surges must fire in several polls"
        assert returned == own  # each poll: what its own articles made fire
        assert await stage.store.load_surge_state() == alone_state  # saved as they fired
    finally:
        await stage.store.close()


async def test_polls_arriving_one_after_another_are_counted_one_after_another(
    tmp_path: Path,
) -> None:
    stream = _stream()
    alone, alone_state = _one_by_one(stream)
    stage, sunk = await _stage(tmp_path)
    try:
        polls = list(_polls(stream, 40))
        returned = [await stage.observe(poll) for poll in polls]
        assert stage.detector.snapshot() == alone_state
        assert returned == _poll_by_poll(polls)
        assert [surge for fired in returned for surge in fired] == alone
        assert [surge for fired in sunk for surge in fired] == alone
    finally:
        await stage.store.close()


async def test_polls_let_go_alone_are_counted_at_once_as_one_by_one(tmp_path: Path) -> None:
    """A poll its write let go alone is counted at once, without the turn of the loop a
    gathered count waits: each poll is answered with its own surges, and everything is
    counted, fired, recorded and learned as one article at a time."""
    stream = _stream()
    alone, alone_state = _one_by_one(stream)
    stage, sunk = await _stage(tmp_path)
    try:
        polls = list(_polls(stream, 40))
        returned = [await stage.observe(poll, alone=True) for poll in polls]
        assert stage.detector.snapshot() == alone_state
        assert returned == _poll_by_poll(polls)
        assert [surge for fired in sunk for surge in fired] == alone
        await stage.save()
        assert await stage.store.load_surge_state() == alone_state
    finally:
        await stage.store.close()


@pytest.mark.parametrize(("alone", "turns"), [(True, 1), (False, 2)])
async def test_a_poll_let_go_alone_is_counted_in_its_first_step(
    tmp_path: Path, alone: bool, turns: int
) -> None:
    """Alone, a poll that fires nothing is counted and answered in the step that hands
    it in; gathered, it first lets the loop run once for the polls ready with it."""
    quiet = _stream()[:40]  # within the default warm-up: nothing fires, nothing to record
    stage, _ = await _stage(tmp_path, SurgeSettings())
    try:
        poll = asyncio.ensure_future(stage.observe(quiet, alone=alone))
        for _ in range(turns - 1):
            await asyncio.sleep(0)
            assert not poll.done()
        await asyncio.sleep(0)
        assert poll.done()
        assert await poll == []
        assert stage.detector.tracked()[SurgeKind.STORY] > 0  # counted
    finally:
        await stage.store.close()


async def test_a_poll_let_go_alone_joins_a_count_still_gathering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll let go alone while polls before it are gathering joins their count after
    them: articles are counted in the order handed in."""
    stream = _stream()
    _, alone_state = _one_by_one(stream)
    stage, _ = await _stage(tmp_path)
    counts = _counts_noted(monkeypatch)
    try:
        first, second = stream[: len(stream) // 2], stream[len(stream) // 2 :]
        gathered = asyncio.ensure_future(stage.observe(first))
        joined = asyncio.ensure_future(stage.observe(second, alone=True))
        await asyncio.gather(gathered, joined)
        assert counts == [[first, second]]
        assert stage.detector.snapshot() == alone_state
    finally:
        await stage.store.close()
