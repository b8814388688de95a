"""Headline embeddings for the grouping benches, computed as the daemon computes them.

``monitor.stories.embedding.encode_headlines`` in batches of its ``BATCH``, over
``processes`` worker processes for the large windows (400,000 headlines cost ~7 CPU
minutes), and the CPU cost per headline and per batch of one process, timed apart.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from monitor.stories.embedding import BATCH, encode_headlines

_CHUNK = 4 * BATCH  # headlines a worker embeds per task


@dataclass(frozen=True, slots=True)
class EmbedCost:
    headlines: int
    per_headline_ms: float  # CPU time, one process, BLAS on one thread
    per_batch_ms: float  # one batch of BATCH headlines
    per_second: float  # headlines a second, one core


def timed_vectors(titles: Sequence[str]) -> tuple[list[bytes], EmbedCost]:
    """The vectors of ``titles`` embedded in this process, and what that cost."""
    encode_headlines(titles[:1])  # the model's load is not a headline's cost
    started = time.process_time()
    vectors = encode_headlines(titles)
    spent = max(time.process_time() - started, 1e-9)
    per = spent / max(len(titles), 1)
    return vectors, EmbedCost(len(titles), per * 1000, per * BATCH * 1000, 1 / per)


def vectors_of(titles: Sequence[str], processes: int = 2) -> list[bytes]:
    """The vectors of ``titles``, in order, embedded by ``processes`` workers."""
    if len(titles) <= _CHUNK or processes < 2:
        return encode_headlines(titles)
    chunks = [titles[start : start + _CHUNK] for start in range(0, len(titles), _CHUNK)]
    context = multiprocessing.get_context("forkserver")  # never fork a threaded process
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        return [vector for part in pool.map(encode_headlines, chunks) for vector in part]
