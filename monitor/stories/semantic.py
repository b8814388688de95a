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
every read of the window (a lookup, a vector, a removal, its size) first has the adds
asked before it made, making those the thread has not taken yet itself (decision 0096).
The graph is the one the same adds made inline would build; what
the thread saves the loop is the add's time, spent meanwhile on the next article's words
(docs/decisions/0055-ingest-serial-path.md). Handing the adds over in batches, or making
them on the loop, was measured and saves the loop nothing (docs/decisions/0074); a run of
adds nothing reads between (another daemon's articles learned) is handed over in one call
(:meth:`VectorWindow.together`, docs/decisions/0084).
When the interpreter exits the thread finishes the add it is making, drops the others
and ends: a daemon thread caught inside usearch by Python's finalising aborts the process.

A window of minutes (what another daemon stored lately: ``monitor.stories.shared``) holds
too few vectors for a graph to pay: :class:`ExactVectors` scans them all, with the
graph's own int8 steps, so its cosines are the graph's and its neighbours the truly
nearest (docs/decisions/0077).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import functools
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
from usearch.index import Index

from monitor.stories.embedding import DIMENSIONS, is_vector, vector_of

__all__ = ["ExactVectors", "NearestVectors", "VectorWindow", "decoded"]

_CONNECTIVITY = 16  # graph links per vector: recall against memory
_EXPANSION_ADD = 64
_EXPANSION_SEARCH = 64
_NO_ROWS = np.zeros((0, DIMENSIONS), dtype=np.float32)
_STEPS = 127  # the graph's int8 cast: a unit vector's components times this, truncated
_FIRST_ROWS = 64  # an exact window's first capacity, doubled as it fills
_Item = TypeVar("_Item", bound=np.generic)


def decoded(vector: bytes) -> npt.NDArray[np.float32] | None:
    """The float32 vector of a stored embedding, or None when it is not one (empty, of
    another size, or holding infinities or NaN: a hostile or corrupt row)."""
    if not is_vector(vector):
        return None
    values = vector_of(vector)
    return values if bool(np.isfinite(values).all()) and values.any() else None


class NearestVectors(Protocol):
    """What a window keeps of its headline vectors, by entry serial."""

    def __len__(self) -> int: ...

    @property
    def memory_bytes(self) -> int: ...

    def add(self, serial: int, vector: npt.NDArray[np.float32]) -> None: ...

    def together(self) -> contextlib.AbstractContextManager[None]: ...

    def stored(self, serials: list[int]) -> npt.NDArray[np.float32]: ...

    def remove(self, serials: list[int]) -> None: ...

    def nearest(self, vector: npt.NDArray[np.float32], count: int) -> list[tuple[int, float]]: ...


class _Adder:
    """The adds of every window, made one at a time in the order they were asked for: by
    the adding thread, or by a reader that finds adds still queued. An add is a deque
    append and a C-level queue put on the caller's side (a thread pool's submit took two
    locks and a semaphore's condition, and made a future, for each: decision 0072). A
    read takes the lock adds are made under and makes those still queued itself: on a
    busy machine the adding thread, woken by the put, may not have been scheduled yet,
    and waiting for it cost the reader more than the add (decision 0096). One lock, one
    queue, taken from the front: the graph gets the adds in the order asked, whichever
    thread makes them."""

    def __init__(self) -> None:
        self.closing = False  # the interpreter exits: adds still queued are dropped
        self._queued: collections.deque[Callable[[], object]] = collections.deque()
        self._making = threading.Lock()  # held by the one thread making adds
        self._wake: queue.SimpleQueue[bool] = queue.SimpleQueue()  # False: end the thread
        self._thread = threading.Thread(target=self._serve, name="vector-window", daemon=True)
        self._thread.start()

    def put(self, work: Callable[[], object]) -> None:
        self._queued.append(work)
        self._wake.put(True)

    def wait(self, then: Callable[[], object] | None = None) -> None:
        """Until every add queued before this call was made: those the adding thread
        has not taken are made here, in order; then ``then``, here too."""
        with self._making:
            self._make_queued()
            if then is not None:
                then()

    def close(self) -> None:
        """End the thread once the add it is making is made; the adds queued after it are
        dropped (no graph is read after the interpreter's exit, and a daemon stopped
        mid-warm-up may have thousands queued). At the interpreter's exit: a daemon thread
        still inside usearch's add when Python finalises is ended in C++ code, and the
        process aborts ("terminate called without an active exception")."""
        self.closing = True
        self._wake.put(False)
        self._thread.join()

    def _make_queued(self) -> None:
        """With ``_making`` held: every queued add, oldest first."""
        while self._queued:
            self._queued.popleft()()

    def _serve(self) -> None:
        while self._wake.get():
            with self._making:
                self._make_queued()


@functools.cache
def _adder() -> _Adder:
    adder = _Adder()
    atexit.register(adder.close)
    return adder


class VectorWindow:
    """Headline vectors by the index's entry serial, nearest first."""

    def __init__(self) -> None:
        self._asked = 0  # adds asked for, maybe not yet made
        self._made = 0  # of those, made (counted in the adding thread)
        self._failure: BaseException | None = None  # an add's error, raised at the next use
        self._held: list[tuple[int, npt.NDArray[np.float32]]] | None = None  # see together
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
        if self._held is not None:
            self._held.append((serial, vector))
            return
        self._asked += 1
        _adder().put(functools.partial(self._add, serial, vector, 1))

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """Adds asked meanwhile handed over as one call of the graph when it ends (or
        at a read before): the graph is the one the same adds made one by one build
        (usearch adds a batch in order on one thread), for less CPU an add when nothing
        reads between them, as when another daemon's articles are learned (decision 0084)."""
        if self._held is not None:  # already inside: the outer one hands them over
            yield
            return
        self._held = []
        try:
            yield
        finally:
            self._hand_over()
            self._held = None

    def _hand_over(self) -> None:
        """The adds held by :meth:`together` so far, handed to the adding thread."""
        work = self._held_adds()
        if work is not None:
            _adder().put(work)

    def _held_adds(self) -> Callable[[], None] | None:
        """The adds held by :meth:`together` so far, as one add of the graph (counted as
        asked), or None when none are held."""
        held, self._held = self._held, [] if self._held is not None else None
        if not held:
            return None
        keys = np.fromiter((serial for serial, _ in held), dtype=np.uint64, count=len(held))
        vectors = np.vstack([vector for _, vector in held])
        self._asked += len(held)
        return functools.partial(self._add, keys, vectors, len(held))

    def _add(
        self, keys: npt.NDArray[np.uint64] | int, vectors: npt.NDArray[np.float32], count: int
    ) -> None:
        """In the adding thread (the only one writing ``_made``)."""
        try:
            if not _adder().closing:
                self._index.add(keys, vectors, threads=1)
        except BaseException as exc:  # raised in the caller's thread
            self._failure = exc
        finally:
            self._made += count

    def _raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _settled(self) -> Index:
        """The graph, once every add asked for so far is made: the adds :meth:`together`
        holds are made here, after those queued before them, not handed to the adding
        thread to be waited for (decision 0096)."""
        held = self._held_adds()
        if held is not None or self._made != self._asked:
            _adder().wait(then=held)
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


def _steps(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``vector`` as the graph holds it: made unit length, in int8 steps (truncated)."""
    steps: npt.NDArray[np.float32] = np.trunc(vector / np.float32(np.linalg.norm(vector)) * _STEPS)
    return steps


class ExactVectors:
    """Headline vectors by entry serial, every one compared at each lookup: no graph to
    build (an add is a row copy), and the nearest are the truly nearest.

    Rows are kept in the graph's int8 steps as float32 (whole numbers: their dot products
    are exact, ``512 * 127 * 127 < 2 ** 24``), so a cosine is the graph's to the last bit
    or two. Memory: about 2.2 KB a vector held (a 2,048-byte row, its length, serial and
    position), in arrays grown by doubling and cut to twice what is held at a removal;
    what is held is what the window keeps (pruned by its time), and a lookup's cost grows
    with it: for windows of minutes, not of days."""

    def __init__(self) -> None:
        self._rows = np.zeros((_FIRST_ROWS, DIMENSIONS), dtype=np.float32)
        self._lengths = np.zeros(_FIRST_ROWS, dtype=np.float32)
        self._serials = np.zeros(_FIRST_ROWS, dtype=np.int64)
        self._at: dict[int, int] = {}  # serial → its row

    def __len__(self) -> int:
        return len(self._at)

    @property
    def memory_bytes(self) -> int:
        return self._rows.nbytes + self._lengths.nbytes + self._serials.nbytes

    def add(self, serial: int, vector: npt.NDArray[np.float32]) -> None:
        held = len(self._at)
        if held == len(self._serials):
            self._keep(np.arange(held), 2 * held)
        self._rows[held] = _steps(vector)
        self._lengths[held] = np.linalg.norm(self._rows[held])
        self._serials[held] = serial
        self._at[serial] = held

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """Nothing to gather: an add is a row copy."""
        yield

    def stored(self, serials: list[int]) -> npt.NDArray[np.float32]:
        """The rows held for ``serials`` (those it holds, in order), as the graph's."""
        rows = [self._at[serial] for serial in serials if serial in self._at]
        return self._rows[rows] if rows else _NO_ROWS

    def remove(self, serials: list[int]) -> None:
        held = self._serials[: len(self._at)]
        kept = np.flatnonzero(~np.isin(held, np.asarray(serials, dtype=np.int64)))
        if len(kept) < len(held):
            self._keep(kept, max(_FIRST_ROWS, 2 * len(kept)))

    def nearest(self, vector: npt.NDArray[np.float32], count: int) -> list[tuple[int, float]]:
        """Up to ``count`` (serial, cosine) pairs, most similar first, ties by serial."""
        held = len(self._at)
        if not held or count <= 0:
            return []
        query = _steps(vector)
        lengths = self._lengths[:held] * np.float32(np.linalg.norm(query))
        # einsum, not BLAS: the daemon's BLAS is not held to one thread, and its threads
        # spun ~10x the CPU of this loop on a 2,000-row product (measured, decision 0077)
        dots = np.einsum("ij,j->i", self._rows[:held], query)
        cosines, serials = dots / lengths, self._serials[:held]
        if held > count:  # those at or above the count-th cosine, ties kept whole
            chosen = cosines >= np.partition(cosines, held - count)[held - count]
            cosines, serials = cosines[chosen], serials[chosen]
        order = np.lexsort((serials, -cosines))[:count]
        return [(int(serials[at]), float(cosines[at])) for at in order]

    def _keep(self, rows: npt.NDArray[np.intp], capacity: int) -> None:
        """Hold only the ``rows`` (positions, in order), in arrays of ``capacity``."""
        self._rows = _padded(self._rows[rows], capacity)
        self._lengths = _padded(self._lengths[rows], capacity)
        self._serials = _padded(self._serials[rows], capacity)
        self._at = {int(serial): row for row, serial in enumerate(self._serials[: len(rows)])}


def _padded(values: npt.NDArray[_Item], capacity: int) -> npt.NDArray[_Item]:
    """``values`` at the front of zeroed room for ``capacity`` of them."""
    room: npt.NDArray[_Item] = np.zeros((capacity, *values.shape[1:]), dtype=values.dtype)
    room[: len(values)] = values
    return room
