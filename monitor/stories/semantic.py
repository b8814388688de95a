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
"""

from __future__ import annotations

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


class VectorWindow:
    """Headline vectors by the index's entry serial, nearest first."""

    def __init__(self) -> None:
        self._index = Index(
            ndim=DIMENSIONS,
            metric="cos",
            dtype="i8",
            connectivity=_CONNECTIVITY,
            expansion_add=_EXPANSION_ADD,
            expansion_search=_EXPANSION_SEARCH,
        )

    def __len__(self) -> int:
        return len(self._index)

    @property
    def memory_bytes(self) -> int:
        return int(self._index.memory_usage)

    def add(self, serial: int, vector: npt.NDArray[np.float32]) -> None:
        self._index.add(serial, vector, threads=1)

    def stored(self, serials: list[int]) -> npt.NDArray[np.float32]:
        """The vectors held for ``serials`` (those it holds, in order), one a row, as the
        graph holds them (int8 steps, unscaled): what a restart rebuilds alike."""
        found = self._index.get(np.asarray(serials, dtype=np.uint64)) if serials else None
        each = found if isinstance(found, tuple) else ()  # a row per key, None: no vector
        rows = [row for row in each if isinstance(row, np.ndarray)]
        return np.vstack(rows).astype(np.float32) if rows else _NO_ROWS

    def remove(self, serials: list[int]) -> None:
        present = [serial for serial in serials if serial in self._index]
        if present:
            self._index.remove(present)

    def nearest(self, vector: npt.NDArray[np.float32], count: int) -> list[tuple[int, float]]:
        """Up to ``count`` (serial, cosine) pairs, most similar first, ties by serial."""
        if not len(self._index):
            return []
        found = self._index.search(vector, count, threads=1)
        pairs = [
            (int(key), 1.0 - float(distance))
            for key, distance in zip(found.keys, found.distances, strict=True)
        ]
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
