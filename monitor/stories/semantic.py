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
(docs/decisions/0055-ingest-serial-path.md).
"""

from __future__ import annotations

import functools
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

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


@functools.cache
def _adder() -> ThreadPoolExecutor:
    """The one thread every window's adds are made in, in the order they were asked for."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-window")


class VectorWindow:
    """Headline vectors by the index's entry serial, nearest first."""

    def __init__(self) -> None:
        self._adding: deque[Future[object]] = deque()  # adds asked for, maybe not yet made
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
        while self._adding and self._adding[0].done():  # only the adds still out are kept
            self._adding.popleft().result()
        self._adding.append(_adder().submit(self._index.add, serial, vector, threads=1))

    def _settled(self) -> Index:
        """The graph, once every add asked for so far is made."""
        while self._adding:
            self._adding.popleft().result()
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
