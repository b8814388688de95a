"""Cost per article and memory of the story index as its window grows (``bench.dedup_eval``).

One pass over the full news-story-clusters file in ID order with a window wider than
its five months, every headline given its sentence embedding (computed beforehand, as
the parse workers would, and timed apart: ``bench.embeddings``). At each window size the
next ``SCALE_SAMPLE`` articles are timed one by one: the lookup (``find``, the words'
tiers and the nearest headlines by meaning) and the whole of find + add.

The lookup is timed as the daemon makes it: each article's text read beforehand, as
its parse worker reads it (``monitor.stories.dedup.reading_of``, timed apart), and the
previous article's vector add handed to the adding thread just before. Its wall time
includes waiting for that add when the search comes before the add is made (two cores,
and the loop and the adding thread each want one); its CPU time (the calling thread's)
is the loop's own work.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from bench.embeddings import vectors_of
from monitor.config.settings import DedupSettings
from monitor.stories.dedup import story_index_for
from monitor.stories.index import StoryIndex
from monitor.stories.queries import read_text

if TYPE_CHECKING:
    from bench.dedup_eval import Row

SCALE_SAMPLE = 2_000  # articles timed after each window size is reached
TRACED_ARTICLES = 20_000  # tracemalloc slows Python down: a smaller, exact memory figure
_FOREVER = timedelta(days=36_500)


@dataclass(frozen=True, slots=True)
class ScalePoint:
    window: int
    entries: int  # distinct texts indexed (copies of a headline in a story count once)
    median_us: float  # find + add
    p90_us: float
    lookup_median_us: float  # find alone, wall
    lookup_cpu_us: float  # find alone, the calling thread's CPU (no waiting for the add)
    reading_us: float  # the text read beforehand (a parse worker's part), median
    bytes_per_article: float
    vector_bytes: float  # the vector window's own memory per vector it holds


def with_vectors(rows: Sequence[Row]) -> list[Row]:
    vectors = vectors_of([row.title for row in rows])
    return [replace(row, vector=vector) for row, vector in zip(rows, vectors, strict=True)]


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * 4096


def traced_bytes(rows: Sequence[Row], settings: DedupSettings) -> float:
    """Bytes per article of Python objects held by an index of ``rows`` (tracemalloc;
    the vector window's own memory, outside Python's heap, is in each ``ScalePoint``)."""
    gc.collect()
    tracemalloc.start()
    try:
        index = story_index_for(settings, _FOREVER)
        for number, row in enumerate(rows):
            _looked_up(index, row, number)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return held / max(1, len(rows))


def _looked_up(index: StoryIndex, row: Row, number: int) -> tuple[float, float, float]:
    """Read, find, then add one row: the seconds ``find`` took (wall, then the thread's
    CPU) and those the reading beforehand took (the parse worker's, not the lookup's)."""
    language, vector = row.language, row.vector
    started = time.perf_counter()
    index.preread([read_text(row.title, "", language, phrases=True)])  # as reading_of
    read = time.perf_counter()
    cpu = time.thread_time()
    found = index.find(row.title, row.seen, language=language, vector=vector)
    spent, cpu = time.perf_counter() - read, time.thread_time() - cpu
    story_id = found.story_id if found is not None else str(number)
    index.add(story_id, story_id, row.title, row.seen, language=language, vector=vector)
    return spent, cpu, read - started


def scale(rows: Iterable[Row], windows: Sequence[int], settings: DedupSettings) -> list[ScalePoint]:
    """At each window size, time the next ``SCALE_SAMPLE`` articles and read the
    process's resident memory."""
    gc.collect()
    index = story_index_for(settings, _FOREVER)
    baseline = _rss_bytes()
    points: list[ScalePoint] = []
    pending = sorted(windows)
    timings: list[tuple[float, float, float, float]] = []
    for number, row in enumerate(rows):
        if pending and number == pending[0]:
            memory = (_rss_bytes() - baseline) / number
            entries, timings = index.entries, []
            vectors = index.vector_bytes / max(1, index.vectors)
        started = time.perf_counter()
        lookup = _looked_up(index, row, number)
        if pending and number >= pending[0]:
            timings.append((time.perf_counter() - started - lookup[2], *lookup))
            if len(timings) == SCALE_SAMPLE:
                points.append(_point(pending.pop(0), entries, timings, (memory, vectors)))
                if not pending:
                    break
    if pending and timings:  # the file ended before the sample was complete
        points.append(_point(pending.pop(0), entries, timings, (memory, vectors)))
    return points


def scaled_rows(
    path: Path, windows: Sequence[int], read: Callable[[Path], Iterable[Row]]
) -> list[Row]:
    """The rows the scale pass reads (the largest window and its sample), embedded."""
    wanted = max(windows) + SCALE_SAMPLE
    return with_vectors(list(islice(read(path), wanted)))


def _point(
    window: int,
    entries: int,
    timings: list[tuple[float, float, float, float]],
    memory: tuple[float, float],
) -> ScalePoint:
    """The medians of (find + add, find, find's CPU, reading) and the p90 of find + add."""
    whole = sorted(timing[0] for timing in timings)
    lookup, cpu, reading = (statistics.median(t[at] for t in timings) for at in (1, 2, 3))
    return ScalePoint(
        window,
        entries,
        statistics.median(whole) * 1e6,
        whole[int(0.9 * len(whole))] * 1e6,
        lookup * 1e6,
        cpu * 1e6,
        reading * 1e6,
        *memory,
    )
