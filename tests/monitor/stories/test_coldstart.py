"""A cold start warmed in a child process, on both stores: the child reads the window up to
a mark and writes the snapshot, the daemon loads it and replays what was stored after the
mark; when the child cannot be used the daemon warms in process, as before."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from monitor.config.settings import DedupSettings, StoreSettings
from monitor.records.models import Verdict
from monitor.store.interface import Store
from monitor.stories import SharedStories, WatchedStories, coldstart
from monitor.stories.dedup import Deduplicator
from monitor.stories.warmup import StoryWarmup
from tests.monitor.stories.test_warmup import (
    AFTER_SNAPSHOT,
    LANDING,
    NOW,
    WINDOW_CASES,
    _article,
    _index_contents,
    _stored,
)
from tests.support.processes import COLD_START_GUARD, HANG_GUARD
from tests.support.stores import STORE_BACKENDS, new_store, store_location


def _settings(backend: str, location: str) -> StoreSettings:
    return StoreSettings(url=location) if backend != "sqlite" else StoreSettings(path=location)


async def _warmed(
    store: Store, path: Path | None, child: StoreSettings | None
) -> tuple[Deduplicator, dict[str, Any]]:
    """A fresh index warmed at NOW (through a child for any window when ``child``), and
    what its warm-up logged."""
    dedup = Deduplicator(store, DedupSettings())
    if isinstance(store, WatchedStories):
        store.watch_stories(SharedStories(dedup))
    warmup = StoryWarmup(store, dedup, path, lambda: NOW, child=child, child_from=0)
    with capture_logs() as logs:
        await asyncio.wait_for(warmup.warm(), COLD_START_GUARD)  # a child may warm it
    events = {line["event"]: line for line in logs}
    return dedup, {**events["story_index_warmed"], "events": events}


@pytest.fixture
async def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[
    tuple[Store, StoreSettings]
]:  # fmt: skip
    """A store holding WINDOW_CASES (stored by a daemon that then stopped), reopened."""
    backend = request.param
    async with store_location(backend, tmp_path) as location:
        store = new_store(backend, location)
        await store.open()
        live = Deduplicator(store, DedupSettings())
        for number, (title, fetched, published, _) in enumerate(WINDOW_CASES):
            await _stored(store, live, _article(f"a{number}", title, fetched, published))
        await store.close()
        store = new_store(backend, location)
        await store.open()
        yield store, _settings(backend, location)
        await store.close()


@pytest.mark.parametrize("seeded", STORE_BACKENDS, indirect=True)
async def test_a_cold_start_through_the_child_groups_as_the_in_process_warm_up(
    seeded: tuple[Store, StoreSettings], tmp_path: Path
) -> None:
    store, settings = seeded
    snapshot = tmp_path / "cold.stories"
    through_child, log = await _warmed(store, snapshot, settings)
    in_process, full = await _warmed(store, None, None)
    assert (log["source"], full["source"]) == ("child", "store")
    assert log["events"]["story_index_child_warmed"]["articles"] == 2  # 2 before the window
    assert snapshot.exists()
    assert _index_contents(through_child) == _index_contents(in_process)
    for number, (title, _, published, grouped) in enumerate(WINDOW_CASES):
        probe = _article(f"p{number}", "UPDATE 1-" + title + " (AFP)", NOW, published)
        decisions = [dedup.decide(probe, None) for dedup in (through_child, in_process)]
        assert decisions[0] == decisions[1], title
        assert (decisions[0].verdict is Verdict.FOLDED) is grouped, title


@pytest.mark.parametrize("seeded", STORE_BACKENDS, indirect=True)
async def test_what_is_stored_while_the_child_warms_is_replayed_once(
    seeded: tuple[Store, StoreSettings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's mark covers exactly what it indexed: an article stored after its read
    (another daemon's, on PostgreSQL) is replayed by the daemon, and none twice."""
    store, settings = seeded
    real = coldstart.warm_in_child

    async def and_another_stored(order: coldstart.ColdStart) -> dict[str, Any]:
        answer = await real(order)
        title, fetched, published, _ = AFTER_SNAPSHOT
        other = Deduplicator(store, DedupSettings())
        await _stored(store, other, _article("a9", title, fetched, published))
        return answer

    monkeypatch.setattr(coldstart, "warm_in_child", and_another_stored)
    dedup, log = await _warmed(store, tmp_path / "cold.stories", settings)
    in_process, _ = await _warmed(store, None, None)
    assert (log["source"], log["replayed"], log["articles"]) == ("child", 1, 3)
    assert _index_contents(dedup) == _index_contents(in_process)
    title, _, published, _ = AFTER_SNAPSHOT
    probe = _article("p9", "UPDATE 1-" + title + " (AFP)", NOW, published)
    assert dedup.decide(probe, None).verdict is Verdict.FOLDED


async def test_window_to_mark_and_articles_after_it_read_the_window_once(tmp_path: Path) -> None:
    store = new_store("sqlite", str(tmp_path / "store.db"))
    await store.open()
    dedup = Deduplicator(store, DedupSettings())
    since = NOW - timedelta(hours=48)
    for number in range(3):
        await _stored(store, dedup, _article(f"a{number}", f"{LANDING} {number}"))
    marked = await store.window_to_mark(since)
    await _stored(store, dedup, _article("a3", "Ceasefire holds in Idlib"))
    after = await store.articles_after(marked.arrival, since)
    whole = await store.recent_articles(since)
    assert await store.article_at(marked.arrival) == marked.article_id
    assert [item.title for item in marked.articles + after] == [item.title for item in whole]
    await store.close()


def _spawned_then(act: Callable[[asyncio.subprocess.Process], None]) -> Any:
    """``coldstart._spawn`` with ``act`` done to the real child as soon as it exists."""
    real = coldstart._spawn

    async def spawn() -> asyncio.subprocess.Process:
        process = await real()
        act(process)
        return process

    return spawn


async def _refused_snapshot(order: coldstart.ColdStart) -> dict[str, Any]:
    await asyncio.to_thread(Path(order.path).write_bytes, b"not a snapshot at all")
    return {"articles": 3}


CHILD_FAILURES = [  # (what is done, the reason logged)
    ("unwritable", "the child failed: exited with 1: "),
    ("killed", "the child failed: killed by SIGKILL: "),
    # A signal without a name in Python's table (a real-time one): still a failure.
    ("killed by SIGRTMIN+6", "the child failed: killed by signal 40: "),
    ("refused", ""),
]


@pytest.mark.parametrize(("failure", "reason"), CHILD_FAILURES)
@pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)
async def test_the_daemon_warms_in_process_when_the_child_cannot_be_used(
    seeded: tuple[Store, StoreSettings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
    reason: str,
) -> None:
    store, settings = seeded
    snapshot = tmp_path / "cold.stories"
    if failure == "unwritable":
        (tmp_path / "file").write_text("")
        snapshot = tmp_path / "file" / "cold.stories"  # under a file: never written
    elif failure.startswith("killed"):
        number = signal.SIGKILL if failure == "killed" else signal.SIGRTMIN + 6
        monkeypatch.setattr(coldstart, "_spawn", _spawned_then(lambda c: os.kill(c.pid, number)))
    else:
        monkeypatch.setattr(coldstart, "warm_in_child", _refused_snapshot)
    dedup, log = await _warmed(store, snapshot, settings)
    assert (log["source"], log["articles"]) == ("store", 2)
    if reason:
        assert log["events"]["story_index_warmed_in_process"]["reason"].startswith(reason)
    else:
        ignored = log["events"]["story_snapshot_ignored"]["reason"]
        assert ignored == "not a story index snapshot"
    title, _, published, _ = WINDOW_CASES[0]
    probe = _article("p0", "UPDATE 1-" + title + " (AFP)", NOW, published)
    assert dedup.decide(probe, None).verdict is Verdict.FOLDED


@pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)
async def test_a_stop_during_the_childs_warm_up_kills_it_and_exits_at_once(
    seeded: tuple[Store, StoreSettings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM during a cold start: the child (held stopped, so it is surely still at
    work) is killed and reaped, nothing is warmed or saved."""
    store, settings = seeded
    spawned: list[asyncio.subprocess.Process] = []
    started = asyncio.Event()

    def hold(child: asyncio.subprocess.Process) -> None:
        os.kill(child.pid, signal.SIGSTOP)
        spawned.append(child)
        started.set()

    monkeypatch.setattr(coldstart, "_spawn", _spawned_then(hold))
    snapshot = tmp_path / "cold.stories"
    dedup = Deduplicator(store, DedupSettings())
    warmup = StoryWarmup(store, dedup, snapshot, lambda: NOW, child=settings, child_from=0)
    stop = asyncio.Event()
    with capture_logs() as logs:
        warming = asyncio.create_task(warmup.warm_unless(stop))
        await asyncio.wait_for(started.wait(), HANG_GUARD)
        stop.set()  # as the daemon's SIGTERM handler does
        assert not await asyncio.wait_for(warming, HANG_GUARD)
    assert spawned[0].returncode == -signal.SIGKILL  # killed and reaped: no orphan
    assert "story_index_warm_up_abandoned" in [line["event"] for line in logs]
    assert not warmup.ready
    assert not snapshot.exists()


async def test_a_small_window_is_warmed_in_process(tmp_path: Path) -> None:
    store = new_store("sqlite", str(tmp_path / "store.db"))
    await store.open()
    dedup = Deduplicator(store, DedupSettings())
    await _stored(store, dedup, _article("a0", LANDING))
    settings = StoreSettings(path=str(tmp_path / "store.db"))
    warmup = StoryWarmup(store, Deduplicator(store, DedupSettings()), tmp_path / "s.stories",
                         lambda: NOW, child=settings, child_from=2)  # fmt: skip
    with capture_logs() as logs:
        await warmup.warm()
    events = {line["event"]: line for line in logs}
    assert events["story_index_warmed"]["source"] == "store"
    assert events["story_index_warmed_in_process"]["reason"] == (
        "1 windowed articles (a child warms 2 or more)"
    )
    await store.close()
