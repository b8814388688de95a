"""The surge stage counts the polls handed in together in one pass: every article is
counted as it would be one poll at a time (same surges, same learned state), polls
that reach the stage in the same turn of the event loop share one count, a poll its write
let go alone is counted at once, and each poll is answered with what its own articles
made fire."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import monitor.ingest.surges as surge_stage
from monitor.config import SurgeSettings
from monitor.ingest import Ingested, SurgeStage, entity_names, sighting_of
from monitor.ingest.surges import Handed, SurgeCountError, count_handed, count_polls
from monitor.records.models import DedupDecision, StoryFacts, Verdict
from monitor.store.sqlite.store import SqliteStore
from monitor.surges import Sighting, Surge, SurgeDetector, SurgeKind
from tests.support.stories import article, match
from tests.support.surge_streams import MONDAY, Newsroom, in_order, one_story

SETTINGS = SurgeSettings(warmup_hours=0, min_count=5, min_outlets=5)
BURST_AT = MONDAY + timedelta(days=2, hours=10)
OUTLETS = [f"http://breaking{index}.test/feed" for index in range(15)]


def _stored(number: int, sighting: Sighting) -> Ingested:
    """An article as the ingest stores it, carrying ``sighting``'s story, outlet, names
    (as headline places) and rules; every ninth re-delivered (seen: not counted)."""
    facts = StoryFacts(sighting.outlet, places=tuple(shown for _, shown in sighting.names))
    verdict = Verdict.SEEN if number % 9 == 8 else Verdict.NEW_STORY
    decision = DedupDecision(verdict, sighting.story_id, facts=facts)
    item = article(sighting.title, outlet=number % 7, number=number, at=sighting.at)
    matches = tuple(match(rule, terms=()) for rule in sighting.rules)
    return Ingested(item, decision, matches, ())


def _stream() -> list[Ingested]:
    """Two days of a steady newsroom, then one story from 15 outlets in 20 minutes."""
    background = Newsroom(4).hours(MONDAY, 48 + 12)
    burst = one_story(BURST_AT, 20, OUTLETS, names=(("kunming", "Kunming"),), rules=("energy",))
    return [_stored(number, one) for number, one in enumerate(in_order(background, burst))]


def _polls(stream: list[Ingested], size: int) -> Iterator[list[Ingested]]:
    for start in range(0, len(stream), size):
        yield stream[start : start + size]


def _poll_by_poll(polls: list[list[Ingested]]) -> list[list[Surge]]:
    """What each poll's articles make fire, the polls counted one at a time."""
    detector, entities = SurgeDetector(SETTINGS), entity_names(None)
    return [count_handed(detector, [Handed(poll, entities)]) for poll in polls]


def _one_by_one(stream: list[Ingested]) -> tuple[list[Surge], bytes]:
    detector, entities = SurgeDetector(SETTINGS), entity_names(None)
    fired = [
        surge
        for item in stream
        if item.decision.verdict is not Verdict.SEEN
        for surge in detector.observe(sighting_of(item, entities))
    ]
    return fired, detector.snapshot()


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


def _counts_noted(monkeypatch: pytest.MonkeyPatch) -> list[list[Sequence[Ingested]]]:
    """The stage's counts noted as they are made: the polls each one counted, in order."""
    counts: list[list[Sequence[Ingested]]] = []

    def counted(detector: SurgeDetector, handed: list[Handed], *rest: Any) -> list[list[Surge]]:
        counts.append([one.ingested for one in handed])
        return count_polls(detector, handed, *rest)

    monkeypatch.setattr(surge_stage, "count_polls", counted)
    return counts


async def _stage(
    tmp_path: Path, settings: SurgeSettings = SETTINGS
) -> tuple[SurgeStage, list[list[Surge]]]:
    store = SqliteStore(str(tmp_path / "ww.db"))
    await store.open()
    sunk: list[list[Surge]] = []

    async def sink(surges: Sequence[Surge]) -> None:
        sunk.append(list(surges))

    return SurgeStage(SurgeDetector(settings), store, sink), sunk


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


HANG_GUARD = 60.0  # seconds: a guard against a poll left waiting forever, not a timing


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
    faulty = replace(stream[0], article=replace(stream[0].article, title="a faulty report"))
    count = SurgeDetector.count

    def failing_on_faulty(detector: SurgeDetector, *args: Any, **kwargs: Any) -> None:
        if args[3] == "a faulty report":
            raise RuntimeError("a detector fault")
        count(detector, *args, **kwargs)

    monkeypatch.setattr(SurgeDetector, "count", failing_on_faulty)
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
    faulty = replace(stream[0], article=replace(stream[0].article, title="a faulty report"))
    count = SurgeDetector.count

    def failing_on_faulty(detector: SurgeDetector, *args: Any, **kwargs: Any) -> None:
        if args[3] == "a faulty report":
            raise RuntimeError("a detector fault")
        count(detector, *args, **kwargs)

    monkeypatch.setattr(SurgeDetector, "count", failing_on_faulty)
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
