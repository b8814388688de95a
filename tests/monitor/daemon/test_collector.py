"""The cyclic collector kept off the warm daemon's objects: frozen once warm (before the
first poll) with a larger young generation (only from CPython's default), frozen garbage
in cycles freed by the prune's re-freeze, given back at close, unless another daemon of
the process still holds its freeze; nothing frozen when something froze first."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.daemon import collector
from monitor.daemon.collector import (
    WARM_YOUNG_THRESHOLD,
    freeze_long_lived,
    python_default_young_threshold,
    refreeze_long_lived,
    starting_young_threshold,
    unfreeze_long_lived,
)
from tests.support.first_poll import one_feed_daemon, run_until_first_poll
from tests.support.processes import COLD_START_GUARD, HANG_GUARD


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
    ("default", "found", "held", "set_meanwhile", "after"),
    [
        (700, (700, 10, 10), (WARM_YOUNG_THRESHOLD, 10, 10), None, (700, 10, 10)),
        (700, (700, 25, 5), (WARM_YOUNG_THRESHOLD, 25, 5), None, (700, 25, 5)),
        (2_000, (2_000, 10, 0), (WARM_YOUNG_THRESHOLD, 10, 0), None, (2_000, 10, 0)),
        (2_000, (700, 10, 0), (700, 10, 0), None, (700, 10, 0)),  # 3.11's value: someone's
        (700, (2_500, 10, 10), (2_500, 10, 10), None, (2_500, 10, 10)),  # the application's
        (700, (0, 10, 10), (0, 10, 10), None, (0, 10, 10)),  # the application's: off
        (None, (700, 10, 10), (700, 10, 10), None, (700, 10, 10)),  # default unknown
        (700, (700, 10, 10), (WARM_YOUNG_THRESHOLD, 10, 10), (3_000, 10, 10), (3_000, 10, 10)),
        (700, (700, 10, 10), (WARM_YOUNG_THRESHOLD, 10, 10), (WARM_YOUNG_THRESHOLD, 50, 10),
         (700, 50, 10)),
    ],
    ids=["default", "default young", "3.14's default", "not this version's default",
         "set by the application", "disabled", "default unknown", "set again while held",
         "older set while held"],
)  # fmt: skip
def test_the_young_threshold_is_raised_only_from_the_default_and_put_back_as_found(
    monkeypatch: pytest.MonkeyPatch,
    default: int | None,
    found: tuple[int, int, int],
    held: tuple[int, int, int],
    set_meanwhile: tuple[int, int, int] | None,
    after: tuple[int, int, int],
) -> None:
    """An embedding application's own collector settings are its choice: only the
    interpreter's default young threshold (by version and build) is raised, and only
    what the daemon raised is put back, unless the application set it again while the
    daemon ran."""
    monkeypatch.setattr(collector, "python_default_young_threshold", lambda: default)
    gc.set_threshold(*found)
    freeze_long_lived()
    assert gc.get_threshold() == held
    if set_meanwhile is not None:
        gc.set_threshold(*set_meanwhile)
    unfreeze_long_lived()
    assert gc.get_threshold() == after


# CPython's young threshold at start, read in its source (Include/internal/
# pycore_runtime_init.h): the versions whose default is known without asking.
_KNOWN_DEFAULTS = {(3, 11): 700, (3, 12): 700}


def test_the_default_is_what_a_fresh_interpreter_of_this_version_starts_with() -> None:
    """The default is read, not assumed: it is this process's at start (no test has set
    it before the run), and CPython's own for the versions whose source was read."""
    fresh = subprocess.run(  # with this process's environment, site included
        [sys.executable, "-c", "import gc; print(gc.get_threshold()[0])"],
        capture_output=True, text=True, timeout=COLD_START_GUARD, check=True,
    )  # fmt: skip
    default = python_default_young_threshold()
    assert default == int(fresh.stdout) > 0
    known = _KNOWN_DEFAULTS.get(sys.version_info[:2])
    assert known is None or default == known


@pytest.mark.parametrize("executable", ["", "no-such-python"], ids=["none", "not there"])
def test_a_default_that_cannot_be_read_is_none(tmp_path: Path, executable: str) -> None:
    """No executable (some embedding programs) or none that answers: no value is taken for
    the default, so the young threshold is left as it is."""
    path = str(tmp_path / executable) if executable else ""
    with capture_logs() as logs:
        assert starting_young_threshold(path) is None
    assert [entry["event"] for entry in logs] == (["gc_default_unknown"] if path else [])


def test_a_frozen_application_is_not_started_to_ask_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a frozen application ``sys.executable`` is the application: it is never run."""
    started: list[object] = []
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(collector, "starting_young_threshold", started.append)
    python_default_young_threshold.cache_clear()
    try:
        assert python_default_young_threshold() is None
    finally:
        python_default_young_threshold.cache_clear()
    assert started == []


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
