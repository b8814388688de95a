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
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

import structlog

log = structlog.get_logger("monitor.daemon.collector")

__all__ = ["freeze_long_lived", "refreeze_long_lived", "unfreeze_long_lived"]


@dataclass(slots=True)
class _Holders:
    """The daemons of this process whose objects are frozen, and what was frozen before."""

    count: int = 0
    frozen_before: int = 0  # objects frozen when the first froze: not theirs


_HOLDERS = _Holders()


def freeze_long_lived() -> int:
    """Collect what is garbage now, then freeze every survivor; return how many are frozen.
    Each call is one hold, given back by one :func:`unfreeze_long_lived`."""
    if _HOLDERS.count == 0:
        _HOLDERS.frozen_before = gc.get_freeze_count()
    _HOLDERS.count += 1
    frozen = _collect_and_freeze()
    log.info("gc_frozen", objects=frozen)
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
    """One hold given back; the last gives every frozen object back to the collector (a
    closed daemon's are garbage), unless objects were frozen before the first hold."""
    _HOLDERS.count = max(_HOLDERS.count - 1, 0)
    if _HOLDERS.count == 0 and _HOLDERS.frozen_before == 0:
        gc.unfreeze()
