"""The ingest's store writes: queued in the ingest lock's order, group-committed.

A batch decided under the ingest lock queues its records here and gives the lock up at
once; the records are written in queue order, every batch waiting when a transaction
starts in that one transaction (at most ``MAX_RECORDS`` articles). So the lock is held
for in-memory work only, and a cycle costs one transaction per group of feeds rather
than one per feed (docs/decisions/0013-batched-ingest.md).

What the lock holder must know about writes not yet committed:

- :meth:`IngestWriter.overlaps`: whether a queued write holds one of these lookup keys
  (then wait for :meth:`flushed` and look up again);
- :meth:`IngestWriter.flushed`: everything queued so far is committed (or failed);
- after a failed write, the story index has remembered articles the store does not
  hold: :attr:`IngestWriter.stale` says so (the next lock holder reloads the index), and
  batches decided before that reload fail with the write's error rather than be stored.

A page that came after its article was stored (:meth:`IngestWriter.submit_page`) is
written in the same queue, in a transaction of its own: after every write queued before
it, so its alerts are planned against a story that holds them all.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from monitor.records import AlertRecord
from monitor.store import (
    AlertPlanner,
    ArticleRecord,
    BatchIngestStore,
    Store,
    Stored,
    write_ending,
)

MAX_RECORDS = 500  # articles per transaction: short, however many feeds are waiting

Key = tuple[str, ...]
Created = list[list[AlertRecord]]


class RecentKeys:
    """The keys of the articles stored while lookups made outside the ingest lock were
    out: such a lookup is redone under the lock only if one of them is the batch's."""

    def __init__(self) -> None:
        self._writes = 0  # batches stored so far by this process
        self._log: deque[tuple[int, frozenset[Key]]] = deque()
        self._open: Counter[int] = Counter()  # lookups out, by the writes seen at their start

    def begin(self) -> int:
        """Before a lookup starts: a mark for :meth:`stored_since` and :meth:`end`."""
        self._open[self._writes] += 1
        return self._writes

    def end(self, mark: int) -> None:
        self._open[mark] -= 1
        if self._open[mark] <= 0:
            del self._open[mark]
        oldest = min(self._open, default=self._writes)
        while self._log and self._log[0][0] <= oldest:
            self._log.popleft()

    def stored(self, keys: frozenset[Key]) -> None:
        """A batch with these keys is committed."""
        self._writes += 1
        if self._open:
            self._log.append((self._writes, keys))

    def stored_since(self, mark: int, keys: frozenset[Key]) -> bool:
        """Whether a batch committed after ``mark`` was taken shares one of ``keys``."""
        return any(write > mark and not logged.isdisjoint(keys) for write, logged in self._log)


class PageRecord(NamedTuple):
    """A late page to store, as ``Store.record_page`` takes it."""

    article_id: str
    body: str
    alerts: AlertPlanner
    language: str = ""  # the article's language read again with the page ("": unchanged)


@dataclass
class _Queued:
    records: Sequence[ArticleRecord]
    keys: frozenset[Key]
    done: asyncio.Future[Created]


@dataclass
class _QueuedPage:
    page: PageRecord
    done: asyncio.Future[list[AlertRecord] | None]  # None: its article is not stored


@dataclass
class IngestWriter:
    """Writes queued records in order, a group of batches per transaction; ``recent``
    hears the lookup keys of every group written (or tried)."""

    recent: RecentKeys = field(default_factory=RecentKeys)
    stale: bool = False  # a write failed: the story index must be rebuilt before use
    generation: int = 0  # bumped by every failed write
    # Batches the last committed group let go together: their polls resume in the same
    # turn of the event loop (the surge stage counts a poll let go alone at once).
    released: int = 0
    _queue: list[_Queued | _QueuedPage] = field(default_factory=list)
    _writing: list[_Queued | _QueuedPage] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _error: Exception | None = None

    def submit(
        self,
        store: Store,
        records: Sequence[ArticleRecord],
        keys: frozenset[Key],
        generation: int,
    ) -> asyncio.Future[Created]:
        """Queue ``records`` (decided while ``generation`` was current); the future holds
        the alerts each created once they are committed."""
        done: asyncio.Future[Created] = asyncio.get_running_loop().create_future()
        if generation != self.generation:  # decided against articles that were never stored
            self.stale = True
            done.set_exception(self._error or RuntimeError("an earlier write failed"))
            return done
        self._queue.append(_Queued(records, keys, done))
        self._start(store)
        return done

    def submit_page(
        self, store: Store, page: PageRecord
    ) -> asyncio.Future[list[AlertRecord] | None]:
        """Queue a late page; the future holds the alerts it created once committed (None:
        its article is not stored). It changes no lookup key, nor the story index."""
        done: asyncio.Future[list[AlertRecord] | None] = asyncio.get_running_loop().create_future()
        self._queue.append(_QueuedPage(page, done))
        self._start(store)
        return done

    def _start(self, store: Store) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(store))

    def overlaps(self, keys: frozenset[Key]) -> bool:
        """Whether a write not yet committed holds one of ``keys``."""
        queued = (*self._writing, *self._queue)
        return any(not item.keys.isdisjoint(keys) for item in queued if isinstance(item, _Queued))

    async def flushed(self) -> None:
        """Return once everything queued so far is committed or has failed."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _drain(self, store: Store) -> None:
        try:
            while self._queue:
                self._writing, self._queue = _take(self._queue)
                await self._write(store, self._writing)
                self._writing = []
        except BaseException:  # cancelled: nobody will write what is left
            for item in (*self._writing, *self._queue):
                item.done.cancel()
            self._writing, self._queue = [], []
            raise

    async def _write(self, store: Store, group: list[_Queued | _QueuedPage]) -> None:
        if isinstance(group[0], _QueuedPage):  # a page is written alone (see _take)
            await _write_page(store, group[0])
            return
        await self._write_articles(store, [item for item in group if isinstance(item, _Queued)])

    async def _write_articles(self, store: Store, group: list[_Queued]) -> None:
        records = [record for item in group for record in item.records]
        try:
            with write_ending() as ending:
                created = await _record(store, records)
        except asyncio.CancelledError:  # stored, or maybe: never "not stored" once sent
            if ending.stored is Stored.YES:
                _stored(group, ending.outcome)  # type: ignore[arg-type]
            elif ending.stored is Stored.MAYBE:
                self._failed(WriteUnansweredError(), group)  # the index is read again
            raise
        except Exception as err:
            self._failed(err, group)
            return
        finally:  # after a failure too: a lookup read again for nothing is harmless
            self.recent.stored(frozenset().union(*(item.keys for item in group)))
        self.released = _stored(group, created)

    def _failed(self, err: Exception, group: list[_Queued]) -> None:
        """The group is not stored; batches queued after it were decided against it."""
        self._error, self.stale = err, True
        self.generation += 1
        failed = [*group, *(item for item in self._queue if isinstance(item, _Queued))]
        for item in failed:
            if not item.done.done():
                item.done.set_exception(err)
        # Pages were planned against no article of this process's: they are still written.
        self._queue = [item for item in self._queue if isinstance(item, _QueuedPage)]


class WriteUnansweredError(Exception):
    """A write's COMMIT went out and its answer never came (the daemon was stopping): its
    articles may be stored or not; they are looked up again."""

    def __init__(self) -> None:
        super().__init__("write cancelled with its commit unanswered: maybe stored")


def _stored(group: list[_Queued], created: Created) -> int:
    """Each batch of ``group`` answered with its alerts; how many were still listening."""
    start = released = 0
    for item in group:
        if not item.done.done():  # a batch cancelled meanwhile no longer listens
            item.done.set_result(created[start : start + len(item.records)])
            released += 1
        start += len(item.records)
    return released


async def _write_page(store: Store, item: _QueuedPage) -> None:
    """One late page, in a transaction of its own; its failure is its own alone."""
    try:
        with write_ending() as ending:
            created = await store.record_page(*item.page)
    except asyncio.CancelledError:
        if ending.stored is Stored.YES and not item.done.done():
            item.done.set_result(ending.outcome)  # type: ignore[arg-type]
        raise
    except Exception as err:
        if not item.done.done():
            item.done.set_exception(err)
        return
    if not item.done.done():
        item.done.set_result(created)


def _take(
    queue: list[_Queued | _QueuedPage],
) -> tuple[list[_Queued | _QueuedPage], list[_Queued | _QueuedPage]]:
    """The queue's head: a page alone, else batches up to the next page or ``MAX_RECORDS``
    articles (at least one batch); and the rest."""
    if isinstance(queue[0], _QueuedPage):
        return queue[:1], queue[1:]
    count = 0
    for index, item in enumerate(queue):
        if isinstance(item, _QueuedPage):
            return queue[:index], queue[index:]
        count += len(item.records)
        if count > MAX_RECORDS and index > 0:
            return queue[:index], queue[index:]
    return queue, []


async def _record(store: Store, records: Sequence[ArticleRecord]) -> Created:
    """``Store.record_article`` for each record: one transaction when the store can batch."""
    if isinstance(store, BatchIngestStore):
        return await store.record_articles(records)
    return [await store.record_article(*record) for record in records]
