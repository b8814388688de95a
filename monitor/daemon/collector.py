"""The cyclic garbage collector kept off the daemon's long-lived objects (decision 0086).

Once warm, the daemon holds hundreds of thousands of objects that live as long as it does
(the story index above all); every full collection would scan them all again. Frozen, they
sit in the permanent generation, which the collector never scans. What was frozen and later
dropped inside a reference cycle (a pruned index entry, a runtime a reload replaced) is
freed by the next re-freeze: the hourly prune unfreezes, collects once and freezes again.

``gc`` freezes and unfreezes everything at once: it cannot give back one daemon's objects
and keep another's. So the freeze is held for the process: the daemons that froze are
counted, and objects are given back only when the last of them lets go. When something
froze objects before the first daemon (a library, or an application that embeds the
daemon), the daemons freeze nothing: unfreezing later would give back the application's
objects too, and leaving everything frozen would keep closed daemons' cyclic garbage for
ever. The application's own freeze is its business, left as it is.

While held, the young generation is also collected less often (decision 0090): the poll
cycle's short-lived objects mostly die before a collection would have looked at them. Only
a threshold still at the interpreter's default is raised (one set by an embedding
application is its choice; the default, which differs by version and build, is read from
a fresh interpreter), and it is put back, exactly as found, when the last hold is given back,
unless someone set it again meanwhile.
"""

from __future__ import annotations

import functools
import gc
import subprocess
import sys
from dataclasses import dataclass
from typing import Final

import structlog

log = structlog.get_logger("monitor.daemon.collector")

__all__ = [
    "WARM_YOUNG_THRESHOLD",
    "freeze_long_lived",
    "python_default_young_threshold",
    "refreeze_long_lived",
    "starting_young_threshold",
    "unfreeze_long_lived",
]


# Tracked objects allocated (less those freed) between two young collections while held,
# against CPython 3.11's 700: with 32 polls in flight, a collection every 700 found many of
# their short-lived objects still alive and promoted them, and older generations were
# collected five times as often (decision 0090).
WARM_YOUNG_THRESHOLD: Final = 10_000


# A fresh interpreter of this executable asked its young threshold: isolated (-I: no
# PYTHON* variables, no user site) and without site (-S: no .pth file, no sitecustomize),
# nothing but the interpreter's own start-up can have set it.
_PROBE = "import gc; print(gc.get_threshold()[0])"
_PROBE_TIMEOUT = 30.0  # seconds: a guard against a hung start, not a performance threshold


@functools.cache
def python_default_young_threshold() -> int | None:
    """The young threshold this interpreter starts with, read from a fresh one of the
    same executable once a process: it depends on the version and the build (700 in
    CPython 3.11 and 3.12; 2000 in the incremental collector of 3.14 and in free-threaded
    builds), so it is asked, not assumed (decision 0090). Never in a frozen application
    (PyInstaller, cx_Freeze): its executable is the application itself, not an
    interpreter, and would start another copy of it."""
    return None if getattr(sys, "frozen", False) else starting_young_threshold(sys.executable)


def starting_young_threshold(executable: str | None) -> int | None:
    """The young threshold a fresh interpreter of ``executable`` starts with. None when it
    cannot be asked (no executable, as in some embedding programs, or no answer): no value
    is then taken for the default, and the threshold is left as it is."""
    if not executable:
        return None
    command = [executable, "-I", "-S", "-c", _PROBE]
    try:
        done = subprocess.run(  # noqa: S603  (an interpreter, a fixed program)
            command, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=True
        )
        return int(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        log.warning("gc_default_unknown", executable=executable, error=str(err))
        return None


@dataclass(slots=True)
class _Holders:
    """The daemons of this process that hold the freeze, and what they changed."""

    count: int = 0
    owned: bool = False  # nothing was frozen before the first: the frozen objects are theirs
    young_before: int | None = None  # the young threshold they raised (None: left alone)


_HOLDERS = _Holders()


def freeze_long_lived() -> int:
    """Collect what is garbage now, then freeze every survivor; return how many are frozen
    (none when something else froze first). Each call is one hold, given back by one
    :func:`unfreeze_long_lived`."""
    if _HOLDERS.count == 0:
        _HOLDERS.owned = gc.get_freeze_count() == 0
        _HOLDERS.young_before = _raised_young_threshold()
    _HOLDERS.count += 1
    young = gc.get_threshold()[0]
    if not _HOLDERS.owned:
        log.info("gc_freeze_skipped", frozen_before=gc.get_freeze_count(), young_threshold=young)
        return 0
    frozen = _collect_and_freeze()
    log.info("gc_frozen", objects=frozen, young_threshold=young)
    return frozen


def refreeze_long_lived() -> int:
    """Frozen objects given back to the collector, one full collection (frees frozen
    garbage in cycles), and the survivors frozen again; return how many are frozen.
    Nothing when the daemons froze nothing (someone else had)."""
    if not _HOLDERS.owned:
        return 0
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
    closed daemon's are garbage) when the daemons froze them, and puts back the young
    threshold they raised unless it was set again meanwhile."""
    if _HOLDERS.count == 0:
        return
    _HOLDERS.count -= 1
    if _HOLDERS.count > 0:
        return
    young, *older = gc.get_threshold()
    if _HOLDERS.young_before is not None and young == WARM_YOUNG_THRESHOLD:
        gc.set_threshold(_HOLDERS.young_before, *older)
    if _HOLDERS.owned:
        gc.unfreeze()
    _HOLDERS.owned, _HOLDERS.young_before = False, None


def _raised_young_threshold() -> int | None:
    """The young threshold raised to ``WARM_YOUNG_THRESHOLD`` when still CPython's
    default; what it was (None: someone had set it, left as it is)."""
    young, *older = gc.get_threshold()
    if young != python_default_young_threshold():
        return None
    gc.set_threshold(WARM_YOUNG_THRESHOLD, *older)
    return young
