"""The window's headline vectors, and the nearest earlier headlines to a new one.

Reports of one event that share too few words (re-worded, or in another language) are
found by their headlines' sentence embeddings (``monitor.stories.embedding``, computed
in the parse workers). Scanning every windowed vector costs 136 ms a query at 400,000
articles (docs/decisions/0040), so the window keeps them in an approximate
nearest-neighbour graph (usearch's HNSW): a query reads a few hundred vectors, whatever
the window's size. Vectors are held as int8 (512 bytes, plus ~330 bytes of graph links
an article), cosine similarity.

The graph is built single-threaded, from the order articles arrive in: the same input
gives the same graph and the same neighbours in every process (docs/decisions/0042).
Adding a vector costs about as much as a lookup, and the daemon's event loop ingests
articles one after another, so the adds are made in a thread of their own (usearch
releases the GIL while it works), one after another in the order they were asked for;
every read of the window (a lookup, a vector, a removal, its size) first waits for the
adds asked before it. The graph is the one the same adds made inline would build; what
the thread saves the loop is the add's time, spent meanwhile on the next article's words
(docs/decisions/0055-ingest-serial-path.md). Handing the adds over in batches, or making
them on the loop, was measured and saves nothing (docs/decisions/0074).
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from usearch.index import Index

from monitor.stories.embedding import DIMENSIONS, is_vector, vector_of

__all__ = ["VectorWindow", "decoded"]

_CONNECTIVITY = 16  # graph links per vector: recall against memory
_EXPANSION_ADD = 64
_EXPANSION_SEARCH = 64
_NO_ROWS = np.zeros((0, DIMENSIONS), dtype=np.float32)


def decoded(vector: bytes) -> npt.NDArray[np.float32] | None:
    """The float32 vector of a stored embedding, or None when it is not one (empty, of
    another size, or holding infinities or NaN: a hostile or corrupt row)."""
    if not is_vector(vector):
        return None
    values = vector_of(vector)
    return values if bool(np.isfinite(values).all()) and values.any() else None


class _Adder:
    """The one thread every window's adds are made in, in the order they were asked for.
    An add is a C-level queue put on the caller's side (a thread pool's submit took two
    locks and a semaphore's condition, and made a future, for each: decision 0072); a
    read waits for the adds before it by queueing an event behind them."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        thread = threading.Thread(target=self._serve, name="vector-window", daemon=True)
        thread.start()

    def put(self, work: Callable[[], object]) -> None:
        self._work.put(work)

    def wait(self) -> None:
        """Until every add queued before this call was made."""
        reached = threading.Event()
        self._work.put(reached.set)
        reached.wait()

    def _serve(self) -> None:
        while True:
            self._work.get()()


@functools.cache
def _adder() -> _Adder:
    return _Adder()


class VectorWindow:
    """Headline vectors by the index's entry serial, nearest first."""

    def __init__(self) -> None:
        self._asked = 0  # adds asked for, maybe not yet made
        self._made = 0  # of those, made (counted in the adding thread)
        self._failure: BaseException | None = None  # an add's error, raised at the next use
        self._index = Index(
            ndim=DIMENSIONS,
            metric="cos",
            dtype="i8",
            connectivity=_CONNECTIVITY,
            expansion_add=_EXPANSION_ADD,
            expansion_search=_EXPANSION_SEARCH,
        )

    def __len__(self) -> int:
        return len(self._settled())

    @property
    def memory_bytes(self) -> int:
        return int(self._settled().memory_usage)

    def add(self, serial: int, vector: npt.NDArray[np.float32]) -> None:
        """Add ``vector`` (never changed afterwards) in the adding thread; a failed add
        raises here or at the next read."""
        self._raise_failure()
        self._asked += 1
        _adder().put(functools.partial(self._add, serial, vector))

    def _add(self, serial: int, vector: npt.NDArray[np.float32]) -> None:
        """In the adding thread (the only one writing ``_made``)."""
        try:
            self._index.add(serial, vector, threads=1)
        except BaseException as exc:  # raised in the caller's thread
            self._failure = exc
        finally:
            self._made += 1

    def _raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _settled(self) -> Index:
        """The graph, once every add asked for so far is made."""
        if self._made != self._asked:
            _adder().wait()
        self._raise_failure()
        return self._index

    def stored(self, serials: list[int]) -> npt.NDArray[np.float32]:
        """The vectors held for ``serials`` (those it holds, in order), one a row, as the
        graph holds them (int8 steps, unscaled): what a restart rebuilds alike."""
        index = self._settled()
        found = index.get(np.asarray(serials, dtype=np.uint64)) if serials else None
        each = found if isinstance(found, tuple) else ()  # a row per key, None: no vector
        rows = [row for row in each if isinstance(row, np.ndarray)]
        return np.vstack(rows).astype(np.float32) if rows else _NO_ROWS

    def remove(self, serials: list[int]) -> None:
        index = self._settled()
        present = [serial for serial in serials if serial in index]
        if present:
            index.remove(present)

    def nearest(self, vector: npt.NDArray[np.float32], count: int) -> list[tuple[int, float]]:
        """Up to ``count`` (serial, cosine) pairs, most similar first, ties by serial."""
        index = self._settled()
        if not len(index):
            return []
        found = index.search(vector, count, threads=1)
        pairs = [
            (int(key), 1.0 - float(distance))
            for key, distance in zip(found.keys, found.distances, strict=True)
        ]
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
