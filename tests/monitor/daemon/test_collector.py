"""The cyclic collector kept off the warm daemon's objects: frozen once warm (before the
first poll) with a larger young generation (only from CPython's default), frozen garbage
in cycles freed by the prune's re-freeze, given back at close, unless another daemon of
the process still holds its freeze; nothing frozen when something froze first."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.daemon import collector
from monitor.daemon.collector import (
    WARM_YOUNG_THRESHOLD,
    freeze_long_lived,
    refreeze_long_lived,
    unfreeze_long_lived,
)
from tests.support.first_poll import one_feed_daemon, run_until_first_poll
from tests.support.processes import HANG_GUARD


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _unfrozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    gc.unfreeze()  # from no other test's daemon left unclosed
    monkeypatch.setattr(collector, "_HOLDERS", collector._Holders())  # nor its hold
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()  # a failed test's frozen objects back to the collector
    gc.set_threshold(*thresholds)  # and its young generation as it was


def _tracked(target: object) -> bool:
    """Whether the collector still scans ``target`` (frozen objects are in no generation)."""
    return any(obj is target for obj in gc.get_objects())


async def test_a_warm_daemon_freezes_its_objects_before_polling_and_gives_them_back_at_close(
    tmp_path: Path,
) -> None:
    async with one_feed_daemon(tmp_path) as (daemon, _):
        index = daemon.pipeline.dedup.index
        assert gc.get_freeze_count() == 0 and _tracked(index)
        before = gc.get_threshold()
        with capture_logs() as logs:
            stop, running = await run_until_first_poll(daemon)
        frozen = [entry for entry in logs if entry["event"] == "gc_frozen"]
        assert gc.get_freeze_count() > 0
        assert not _tracked(index)  # the story index is never scanned again
        assert len(frozen) == 1 and frozen[0]["objects"] > 0
        assert gc.get_threshold() == (WARM_YOUNG_THRESHOLD, *before[1:])
        stop.set()
        await asyncio.wait_for(running, HANG_GUARD)
        await daemon.close()
    assert gc.get_freeze_count() == 0 and _tracked(index)
    assert gc.get_threshold() == before


async def test_the_prune_frees_frozen_garbage_in_cycles_and_freezes_the_rest_again(
    tmp_path: Path,
) -> None:
    async with one_feed_daemon(tmp_path) as (daemon, _):
        cycle = _Cycle()
        dropped = weakref.ref(cycle)
        stop, running = await run_until_first_poll(daemon)  # frozen: ``cycle`` with it
        del cycle
        gc.collect()
        assert dropped() is not None  # frozen garbage: no collection reaches it
        prune = daemon.scheduler.get_job("prune")
        await prune.func()
        assert dropped() is None
        assert gc.get_freeze_count() > 0 and not _tracked(daemon.pipeline.dedup.index)
        stop.set()
        await asyncio.wait_for(running, HANG_GUARD)
        await daemon.close()


def test_when_something_froze_first_the_daemon_freezes_nothing_and_leaves_it_frozen() -> None:
    """A library, or an application embedding the daemon, froze its own objects first:
    gc cannot tell them from the daemon's, so the daemon freezes none of its own (they
    would stay frozen after it closed) and leaves theirs frozen, the prune's too."""
    theirs = _Cycle()
    gc.freeze()
    frozen = gc.get_freeze_count()
    mine = _Cycle()
    with capture_logs() as logs:
        assert freeze_long_lived() == 0
    assert [entry["frozen_before"] for entry in logs] == [frozen]
    assert _tracked(mine) and gc.get_freeze_count() == frozen
    assert refreeze_long_lived() == 0 and not _tracked(theirs)
    unfreeze_long_lived()
    assert _tracked(mine) and not _tracked(theirs) and gc.get_freeze_count() == frozen


@pytest.mark.parametrize(
    ("found", "held", "set_meanwhile", "after"),
    [
        ((700, 10, 10), (WARM_YOUNG_THRESHOLD, 10, 10), None, (700, 10, 10)),
        ((700, 25, 5), (WARM_YOUNG_THRESHOLD, 25, 5), None, (700, 25, 5)),
        ((2_500, 10, 10), (2_500, 10, 10), None, (2_500, 10, 10)),  # the application's own
        ((0, 10, 10), (0, 10, 10), None, (0, 10, 10)),  # the application's: off
        ((700, 10, 10), (WARM_YOUNG_THRESHOLD, 10, 10), (3_000, 10, 10), (3_000, 10, 10)),
        ((700, 10, 10), (WARM_YOUNG_THRESHOLD, 10, 10), (WARM_YOUNG_THRESHOLD, 50, 10),
         (700, 50, 10)),
    ],
    ids=["default", "default young", "set by the application", "disabled", "set again while held",
         "older set while held"],
)  # fmt: skip
def test_the_young_threshold_is_raised_only_from_the_default_and_put_back_as_found(
    found: tuple[int, int, int],
    held: tuple[int, int, int],
    set_meanwhile: tuple[int, int, int] | None,
    after: tuple[int, int, int],
) -> None:
    """An embedding application's own collector settings are its choice: only CPython's
    default young threshold is raised, and only what the daemon raised is put back,
    unless the application set it again while the daemon ran."""
    gc.set_threshold(*found)
    freeze_long_lived()
    assert gc.get_threshold() == held
    if set_meanwhile is not None:
        gc.set_threshold(*set_meanwhile)
    unfreeze_long_lived()
    assert gc.get_threshold() == after


def test_a_daemons_objects_stay_frozen_while_another_daemon_holds_its_freeze() -> None:
    first = _Cycle()
    before = gc.get_threshold()
    freeze_long_lived()  # one daemon of this process
    freeze_long_lived()  # another
    unfreeze_long_lived()  # the first closes
    assert not _tracked(first) and gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == WARM_YOUNG_THRESHOLD
    unfreeze_long_lived()  # the last
    assert _tracked(first) and gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
