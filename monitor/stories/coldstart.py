"""A cold start's story index warmed in a child process, which writes the snapshot the
daemon then loads (docs/decisions/0069-cold-start-in-a-child.md).

Warming the whole window in the daemon leaves its heap with the holes of the rows and
temporary strings it read between the index's own objects: ~200 bytes an article more
than the same index loaded from a snapshot. So when no usable snapshot exists, a child
(``python -P -m monitor.stories``) reads the window up to an arrival mark in one
go, warms an index, writes the snapshot at that mark and exits; the daemon loads it as
any snapshot and replays what was stored after the mark. The order (store settings,
grouping settings, path, the warm-up's time) goes over the child's stdin, never its
command line (a PostgreSQL URL may hold a password); its answer is one JSON line on
stdout. The child dies with the daemon (``PR_SET_PDEATHSIG``), and is killed when the
warm-up is given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import pickle
import signal
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.config import DedupSettings, StoreSettings
from monitor.observability import configure_logging, process_ended
from monitor.store import MarkedWindow, open_store
from monitor.stories import snapshot
from monitor.stories.dedup import add_window, story_index_for

__all__ = ["ChildFailedError", "ColdStart", "warm_in_child"]

_COMMAND = ("-P", "-m", "monitor.stories")  # -P: never the working directory's modules
_REASON_CHARS = 500  # of a child's last words kept for the log
_PR_SET_PDEATHSIG = 1


class ChildFailedError(Exception):
    """The child wrote no snapshot, and why (logged; the daemon warms in process)."""


@dataclass(frozen=True, slots=True)
class ColdStart:
    """What the child is asked to warm: read by it from its stdin."""

    store: StoreSettings
    dedup: DedupSettings
    path: str
    now: datetime
    parent: int  # the daemon's pid: the child ends when it does


async def warm_in_child(order: ColdStart) -> dict[str, Any]:
    """The child run to its end: what it reports (articles, mark, bytes, seconds), or
    ChildFailedError. Cancelled, the child is killed and reaped before this returns."""
    process = await _spawn()
    try:
        out, err = await process.communicate(pickle.dumps(order))
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return _answer(process.returncode, out, err)


async def _spawn() -> asyncio.subprocess.Process:
    if not sys.executable:
        raise ChildFailedError("no Python executable to start")
    pipe = asyncio.subprocess.PIPE
    return await asyncio.create_subprocess_exec(
        sys.executable, *_COMMAND, stdin=pipe, stdout=pipe, stderr=pipe
    )


def _answer(code: int | None, out: bytes, err: bytes) -> dict[str, Any]:
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if code == 0 and "error" not in answer and answer:
        return answer
    why = answer.get("error") or _last_words(err) or "no answer"
    raise ChildFailedError(f"{process_ended(code)}: {why}")


def _last_words(err: bytes) -> str:
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return lines[-1][-_REASON_CHARS:] if lines else ""


def main() -> int:
    """The child: warm, write the snapshot, say so on stdout (or why not); 0 when written."""
    configure_logging("error", "json")  # on stderr: stdout carries the answer alone
    try:
        order = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the parent that started it
        _die_with(order.parent)
        answer = asyncio.run(_warm(order))
    except Exception as err:  # reported to the daemon, which logs it and warms itself
        print(json.dumps({"error": f"{type(err).__name__}: {err}"}), flush=True)
        return 1
    print(json.dumps(answer), flush=True)
    return 0


def _die_with(parent: int) -> None:
    """Killed when the daemon ends, however it ends (Linux; elsewhere the child ends when
    its work does), and not started at all for a daemon gone already."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        raise ChildFailedError("the daemon ended before the child started")


async def _warm(order: ColdStart) -> dict[str, Any]:
    started = time.perf_counter()
    since = order.now - timedelta(hours=order.dedup.window_hours)
    window = await _read(order.store, since)
    mark = snapshot.SnapshotMark(window.arrival, window.article_id)
    index = story_index_for(order.dedup)
    with snapshot.paused_gc():
        articles = len(window.articles)
        add_window(index, window.articles)
        state = snapshot.capture(index)
    header = snapshot.header_for(mark, order.dedup, order.now)
    size = snapshot.write(Path(order.path), state, header)
    return {"articles": articles, "mark": mark.arrival, "bytes": size,
            "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip


async def _read(settings: StoreSettings, since: datetime) -> MarkedWindow:
    """The window and its mark, over a read-only store of one connection."""
    one = settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 1})
    store = open_store(one, read_only=True)
    await store.open()
    try:
        return await store.window_to_mark(since)
    finally:
        await store.close()
