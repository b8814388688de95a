"""An article is looked up (find) and then added with the same headline and vector: its
vector is decoded once for both, and its headline's cased words are read once. The
decoder is wrapped at its seam to count calls; what the index finds is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from monitor.records import MatchKind
from monitor.stories import index as index_module
from monitor.stories.embedding import DIMENSIONS
from monitor.stories.headlines import cased_words
from monitor.stories.index import StoryIndex

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _vector(seed: int) -> bytes:
    values = np.random.default_rng(seed).standard_normal(DIMENSIONS)
    return (values / np.linalg.norm(values)).astype("<f2").tobytes()


def test_a_vector_is_decoded_once_for_its_lookup_and_its_add(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decodes: list[bytes] = []

    def counted(vector: bytes) -> npt.NDArray[np.float32] | None:
        decodes.append(vector)
        return original(vector)

    original = index_module.decoded
    monkeypatch.setattr(index_module, "decoded", counted)
    index = StoryIndex(timedelta(hours=48), threshold=88)
    first, second = _vector(1), _vector(2)
    index.add("s1", "a1", "Harbour crane collapses onto a container ship", NOW, vector=first)
    title = "Rail strike halts freight trains across the north"
    assert index.find(title, NOW, vector=second) is None  # the words find nothing: by meaning
    index.add("s2", "a2", title, NOW, vector=second)
    assert decodes == [first, second]
    assert index.vectors == 2


def test_a_headlines_cased_words_are_read_once_for_its_lookup_and_its_add() -> None:
    index = StoryIndex(timedelta(hours=48), threshold=88)
    title = "Harbour crane collapses onto a container ship near Latakia"
    cased_words.cache_clear()
    index.find(title, NOW)
    index.add("s1", "a1", title, NOW)
    info = cased_words.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert index.find(title, NOW + timedelta(hours=1)) is not None
    found = index.find("Harbour crane collapses onto container ship near Latakia", NOW)
    assert found is not None and found.kind is MatchKind.NEAR_IDENTICAL
