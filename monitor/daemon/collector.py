"""The cyclic garbage collector kept off the daemon's long-lived objects (decision 0086).

Once warm, the daemon holds hundreds of thousands of objects that live as long as it does
(the story index above all); every full collection would scan them all again. Frozen, they
sit in the permanent generation, which the collector never scans. What was frozen and later
dropped inside a reference cycle (a pruned index entry, a runtime a reload replaced) is
freed by the next re-freeze: the hourly prune unfreezes, collects once and freezes again.

``gc`` freezes and unfreezes everything at once: it cannot give back one daemon's objects
and keep another's. So the freeze is held for the process: the daemons that froze are
counted, and objects are given back only when the last of them lets go, and only when
nothing was frozen before the first (by a library, or an application that embeds the
daemon): those are not the daemon's to give back, and are left frozen with its own.

While held, the young generation is also collected less often (decision 0090): the poll
cycle's short-lived objects mostly die before a collection would have looked at them. The
thresholds found at the first hold are restored when the last is given back.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Final

import structlog

log = structlog.get_logger("monitor.daemon.collector")

__all__ = [
    "WARM_YOUNG_THRESHOLD",
    "freeze_long_lived",
    "refreeze_long_lived",
    "unfreeze_long_lived",
]


# Tracked objects allocated (less those freed) between two young collections while held,
# against CPython's 700: with 32 polls in flight, a collection every 700 found many of
# their short-lived objects still alive and promoted them, and older generations were
# collected five times as often (decision 0090).
WARM_YOUNG_THRESHOLD: Final = 10_000


@dataclass(slots=True)
class _Holders:
    """The daemons of this process whose objects are frozen, and what was frozen before."""

    count: int = 0
    frozen_before: int = 0  # objects frozen when the first froze: not theirs
    thresholds: tuple[int, int, int] = (0, 0, 0)  # the collector's when the first froze


_HOLDERS = _Holders()


def freeze_long_lived() -> int:
    """Collect what is garbage now, then freeze every survivor; return how many are frozen.
    Each call is one hold, given back by one :func:`unfreeze_long_lived`."""
    if _HOLDERS.count == 0:
        _HOLDERS.frozen_before = gc.get_freeze_count()
        _HOLDERS.thresholds = gc.get_threshold()
        gc.set_threshold(WARM_YOUNG_THRESHOLD, *_HOLDERS.thresholds[1:])
    _HOLDERS.count += 1
    frozen = _collect_and_freeze()
    log.info("gc_frozen", objects=frozen, young_threshold=gc.get_threshold()[0])
    return frozen


def refreeze_long_lived() -> int:
    """Frozen objects given back to the collector, one full collection (frees frozen
    garbage in cycles), and the survivors frozen again; return how many are frozen."""
    gc.unfreeze()
    frozen = _collect_and_freeze()
    log.debug("gc_refrozen", objects=frozen)
    return frozen


def _collect_and_freeze() -> int:
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def unfreeze_long_lived() -> None:
    """One hold given back; the last restores the collector's thresholds and gives every
    frozen object back to the collector (a closed daemon's are garbage), unless objects
    were frozen before the first hold."""
    held = _HOLDERS.count > 0
    _HOLDERS.count = max(_HOLDERS.count - 1, 0)
    if _HOLDERS.count == 0 and held:
        gc.set_threshold(*_HOLDERS.thresholds)
    if _HOLDERS.count == 0 and _HOLDERS.frozen_before == 0:
        gc.unfreeze()
