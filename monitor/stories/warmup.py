"""The story index made ready at start, and saved while the daemon runs and when it stops.

At start the listener already answers ``/healthz``; ``/readyz`` says ``stories: warming``
and no feed is polled until the index holds the whole window, so no article is decided
against a part of it (docs/decisions/0051-index-snapshots.md):

1. the snapshot (``monitor.stories.snapshot``), if one was written by this code with
   these grouping settings, its checksum holds, the store still holds the article at its
   mark (not another or a restored database) and it is younger than the window; then
2. the window's articles stored after its mark, in the order they were stored (on
   PostgreSQL from the story sync's mark: other daemons' articles the snapshot missed);
3. otherwise, when snapshots are on and the window holds at least ``child_from``
   articles, a snapshot made by a child process (``monitor.stories.coldstart``: the
   daemon's heap then holds only the compact loaded index), loaded as in 1 and 2;
4. otherwise (or when the child fails, or its snapshot is refused: logged with the
   reason) the whole window read from the store, as before snapshots.

The loading runs in a worker thread, so the event loop answers probes meanwhile.
Snapshots are taken under the ingest lock once every decided article is written, so
the mark read then covers exactly what the index holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import structlog

from monitor.config import Settings, StoreSettings
from monitor.store import Store, WindowArticle
from monitor.stories import coldstart, snapshot
from monitor.stories.dedup import Deduplicator, add_window
from monitor.stories.index import StoryIndex
from monitor.stories.snapshot import SnapshotMark

__all__ = ["StoryWarmup", "snapshot_path"]

log = structlog.get_logger("monitor.stories.warmup")

# Below this many windowed articles a cold start warms in process: the holes it leaves
# are a few MB, less than a second interpreter's imports cost (decision 0069).
CHILD_FROM = 50_000


class WarmSource(StrEnum):
    """Where a warm-up found the window (``story_index_warmed``'s ``source``)."""

    SNAPSHOT = "snapshot"  # the snapshot found at start, then what was stored after it
    CHILD = "child"  # a snapshot a child process made for this start, then the same
    STORE = "store"  # the whole window read from the store


class Writes(Protocol):
    """The ingest writer: what it queued is stored once ``flushed`` returns, unless
    ``stale`` says a write failed (the index then holds articles never stored)."""

    stale: bool

    async def flushed(self) -> None: ...


def snapshot_path(settings: Settings) -> Path | None:
    """Where the story index is saved: ``[dedup] snapshot_path``, else beside the SQLite
    database; None when snapshots are off (or on PostgreSQL without a path)."""
    dedup, store = settings.dedup, settings.store
    if not dedup.snapshot:
        return None
    if dedup.snapshot_path:
        return Path(dedup.snapshot_path)
    if store.backend == "sqlite" and store.path != ":memory:":
        return Path(store.path + ".stories")
    return None


class StoryWarmup:
    """Warms the daemon's story index once, then saves it on demand."""

    def __init__(
        self,
        store: Store,
        dedup: Deduplicator,
        path: Path | None,
        clock: Callable[[], datetime],
        *,
        child: StoreSettings | None = None,
        child_from: int = CHILD_FROM,
    ) -> None:
        """``child``: the store's settings, for a child to warm a cold start from (none:
        always in process); it does when the window holds ``child_from`` articles."""
        self._store, self._dedup, self.path, self._clock = store, dedup, path, clock
        self._child, self._child_from = child, child_from
        self._window = timedelta(hours=dedup.settings.window_hours)
        self._lock = asyncio.Lock()
        self._abandon = threading.Event()  # the worker thread stops at the next batch
        self.ready = False  # /readyz: "stories" until the whole window is in the index

    async def warm_unless(self, stop: asyncio.Event) -> bool:
        """:meth:`warm`, given up when ``stop`` is set first (SIGTERM during warm-up
        exits at once, not after it): whether the index is ready."""
        warming = asyncio.ensure_future(self.warm())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait((warming, stopping), return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not warming.done():
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming
            log.info("story_index_warm_up_abandoned")
            return False
        await warming  # its error, if any
        return True

    async def warm(self) -> int:
        """The index ready (once; later calls return at once): the stories it holds."""
        async with self._lock:
            if not self.ready:
                started, now = time.perf_counter(), self._clock()
                source, replayed = await self._load(now)
                self._dedup.index.prune(now)
                self.ready = True
                index = self._dedup.index
                log.info(
                    "story_index_warmed", source=source, articles=index.entries,
                    stories=len(index), replayed=replayed,
                    seconds=round(time.perf_counter() - started, 3),
                )  # fmt: skip
        return len(self._dedup.index)

    async def _load(self, now: datetime) -> tuple[WarmSource, int]:
        """(SNAPSHOT or CHILD, articles replayed over its snapshot) or (STORE, articles
        read)."""
        loaded = await self._from_snapshot(now) if self.path is not None else None
        source = WarmSource.SNAPSHOT
        if loaded is None and await self._warmed_in_child(now):
            loaded, source = await self._from_snapshot(now), WarmSource.CHILD
        since = now - self._window
        if loaded is not None:
            index, mark = loaded
            self._dedup.index = index
            items = await self._store.articles_after(mark.arrival, since)
        else:
            items = await self._store.recent_articles(since)
            source = WarmSource.STORE
        read = len(items)
        try:
            await asyncio.to_thread(_add_all, self._dedup.index, items, self._abandon)
        except asyncio.CancelledError:
            self._abandon.set()
            raise
        return source, read

    async def _warmed_in_child(self, now: datetime) -> bool:
        """Whether a child wrote a snapshot of the window for this start; if not, why not
        is logged (and the window is warmed in process)."""
        order = await self._child_order(now)
        if isinstance(order, coldstart.ColdStart):
            try:
                log.info("story_index_child_warmed", **await coldstart.warm_in_child(order))
                return True
            except (coldstart.ChildFailedError, OSError) as err:
                order = f"the child failed: {err}"
        log.info("story_index_warmed_in_process", reason=order)
        return False

    async def _child_order(self, now: datetime) -> coldstart.ColdStart | str:
        """What a child is to warm, or why no child does."""
        if self.path is None:
            return "no snapshot path (snapshots off, an in-memory store, or PostgreSQL without one)"
        if self._child is None:
            return "no store settings for a child"
        articles = await self._store.count_articles_since(now - self._window)
        if articles < max(self._child_from, 1):
            return f"{articles} windowed articles (a child warms {self._child_from} or more)"
        return coldstart.ColdStart(self._child, self._dedup.settings, str(self.path), now,
                                   os.getpid())  # fmt: skip

    async def _from_snapshot(self, now: datetime) -> tuple[StoryIndex, SnapshotMark] | None:
        if self.path is None or not self.path.exists():
            log.info("story_snapshot_absent", path=str(self.path))
            return None
        settings = self._dedup.settings
        try:
            header, lexical, vectors = await asyncio.to_thread(
                snapshot.read, self.path, snapshot.expected(settings)
            )
            mark = await self._check(header, now)
            index = await asyncio.to_thread(snapshot.restore, settings, lexical, vectors)
        except snapshot.SnapshotError as err:
            log.warning("story_snapshot_ignored", path=str(self.path), reason=str(err))
            return None
        return index, mark

    async def _check(self, header: dict[str, object], now: datetime) -> SnapshotMark:
        """The snapshot's mark, if this store holds what it was taken of and it is recent."""
        if snapshot.written_at(header) < now - self._window:
            raise snapshot.SnapshotError("older than the dedup window")
        mark = snapshot.mark_of(header)
        if not mark.arrival:  # nothing ties it to this store, and there is little to warm
            raise snapshot.SnapshotError("taken with no article stored")
        if await self._store.article_at(mark.arrival) != mark.article_id:
            raise snapshot.SnapshotError("the store does not hold its mark's article")
        return mark

    async def save(self, ingest_lock: asyncio.Lock, writer: Writes) -> None:
        """Write a snapshot (when enabled and warm); a failure is logged, never raised."""
        if self.path is None or not self.ready:
            return
        started = time.perf_counter()
        async with ingest_lock:  # no article decided meanwhile
            await writer.flushed()  # and every decided one stored
            if writer.stale:  # the index holds articles never stored
                log.warning("story_snapshot_skipped", reason="a write failed")
                return
            arrival = await self._store.index_mark()
            state = snapshot.capture(self._dedup.index)  # nothing awaited since the mark
        mark = SnapshotMark(arrival, await self._store.article_at(arrival) or "")
        header = snapshot.header_for(mark, self._dedup.settings, self._clock())
        try:
            size = await asyncio.to_thread(snapshot.write, self.path, state, header)
        except OSError as err:
            log.error("story_snapshot_failed", path=str(self.path), error=str(err))
            return
        log.info(
            "story_snapshot_written", path=str(self.path), articles=state.articles, bytes=size,
            mark=arrival, seconds=round(time.perf_counter() - started, 3),
        )  # fmt: skip


def _add_all(index: StoryIndex, items: list[WindowArticle], abandon: threading.Event) -> None:
    with snapshot.paused_gc():  # every object made here lives on: no collection finds any
        add_window(index, items, abandon.is_set)
    _trim_heap()


def _trim_heap() -> None:
    """Give the C heap's free pages back to the system once the index is made (glibc's
    ``malloc_trim``; nothing elsewhere). Loading or warming frees large buffers (the
    snapshot's bytes, the rows' lists, the dicts' old tables) that glibc keeps mapped,
    and the resident memory would count them as the index's. Costs milliseconds, once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
