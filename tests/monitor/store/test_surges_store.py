"""The store keeps the surges that fired and the surge detector's state, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import RetentionSettings
from monitor.store.interface import Store
from monitor.store.retention import run_retention
from monitor.surges import Surge, SurgeKind, surge_id
from tests.support.stores import STORE_BACKENDS, opened_store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=48)


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


def _surge(key: str, fired_at: datetime, kind: SurgeKind = SurgeKind.NAME) -> Surge:
    start = fired_at - timedelta(minutes=40)
    return Surge(
        surge_id=surge_id(kind, key, start), kind=kind, key=key, label=key.title(),
        window_start=start, window_end=fired_at, fired_at=fired_at, count=14,
        expected=0.25, outlets=9, score=11.5,
        top_stories=(("s1", "انفجار في ميناء بيروت", 6), ("s2", "Взрыв в порту Бейрута", 3)),
        top_outlets=("wire:Reuters", "http://a.test/feed"),
    )  # fmt: skip


async def test_surges_read_back_as_they_fired_oldest_first(store: Store) -> None:
    later, earlier = _surge("beirut", NOW), _surge("port", NOW - timedelta(hours=2))
    await store.record_surges([later, earlier])
    assert await store.list_surges(NOW - timedelta(days=1)) == [earlier, later]
    assert await store.list_surges(NOW - timedelta(hours=1)) == [later]


async def test_a_surge_recorded_twice_is_kept_once(store: Store) -> None:
    surge = _surge("beirut", NOW)
    await store.record_surges([surge])
    await store.record_surges([surge, _surge("beirut", NOW, SurgeKind.RULE)])
    kept = await store.list_surges(NOW - timedelta(days=1))
    assert sorted((item.kind.value, item.key) for item in kept) == [
        ("name", "beirut"), ("rule", "beirut")
    ]  # fmt: skip


async def test_recording_no_surge_writes_nothing(store: Store) -> None:
    await store.record_surges([])
    assert await store.list_surges(NOW - timedelta(days=365)) == []


async def test_the_detector_state_is_saved_and_replaced(store: Store) -> None:
    assert await store.load_surge_state() is None
    await store.save_surge_state(b"wwsurge\x00first")
    await store.save_surge_state(b"wwsurge\x00\xffsecond")
    assert await store.load_surge_state() == b"wwsurge\x00\xffsecond"


@pytest.mark.parametrize(("days", "kept"), [(90.0, ["young"]), (0.0, ["old", "young"])])
async def test_retention_prunes_old_surges(store: Store, days: float, kept: list[str]) -> None:
    await store.record_surges([_surge("old", NOW - timedelta(days=100)), _surge("young", NOW)])
    settings = RetentionSettings(surges_days=days)
    report = await run_retention(store, settings, NOW, window=WINDOW)
    assert report.pruned["surges"] == 2 - len(kept)
    assert [surge.key for surge in await store.list_surges(NOW - timedelta(days=365))] == kept


async def test_each_daemon_instance_keeps_its_own_detector_state(store: Store) -> None:
    await store.save_surge_state(b"wwsurge\x00unnamed")
    await store.save_surge_state(b"wwsurge\x00east", "east")
    await store.save_surge_state(b"wwsurge\x00west", "west")
    assert [await store.load_surge_state(name) for name in ("", "east", "west", "north")] == [
        b"wwsurge\x00unnamed", b"wwsurge\x00east", b"wwsurge\x00west", None,
    ]  # fmt: skip


async def test_the_latest_surges_come_newest_first_up_to_the_limit(store: Store) -> None:
    fired = [_surge(f"key{n}", NOW - timedelta(minutes=n)) for n in range(5)]
    await store.record_surges([*fired, _surge("old", NOW - timedelta(days=2))])
    assert await store.latest_surges(NOW - timedelta(days=1), 3) == fired[:3]
