"""The cyclic garbage collector kept off the daemon's long-lived objects (decision 0086).

Once warm, the daemon holds hundreds of thousands of objects that live as long as it does
(the story index above all); every full collection would scan them all again. Frozen, they
sit in the permanent generation, which the collector never scans. What was frozen and later
dropped inside a reference cycle (a pruned index entry, a runtime a reload replaced) is
freed by the next re-freeze: the hourly prune unfreezes, collects once and freezes again.
"""

from __future__ import annotations

import gc

import structlog

log = structlog.get_logger("monitor.daemon.collector")

__all__ = ["freeze_long_lived", "refreeze_long_lived", "unfreeze_long_lived"]


def freeze_long_lived() -> int:
    """Collect what is garbage now, then freeze every survivor; return how many are frozen."""
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
    """Every frozen object given back to the collector (a closed daemon's are garbage)."""
    gc.unfreeze()
