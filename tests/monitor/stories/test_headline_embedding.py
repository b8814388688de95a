"""A headline's sentence embedding (monitor.stories.embedding), by the real encoder: its
size and norm, the same bytes every time, the same vector in any batch, none for a blank
headline, decorations left out, batches of at most BATCH headlines. Every headline here
was written for these tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from monitor.stories import embedding
from monitor.stories.embedding import (
    BATCH,
    DIMENSIONS,
    SIZE,
    encode_headlines,
    is_vector,
    vector_of,
)

HEADLINES = [
    "Harbour crane collapses onto a container ship in high winds",
    "La grue du port s'effondre sur un porte-conteneurs",
    "Рыбаки спасли экипаж затонувшего буксира у побережья",
    "انهيار رافعة في الميناء بسبب الرياح العاتية",
    "Flood waters close the northern railway for a second day",
]


def _cosine(left: bytes, right: bytes) -> float:
    return float(vector_of(left) @ vector_of(right))


def test_each_headline_gives_512_float16_values_of_norm_one() -> None:
    vectors = encode_headlines(HEADLINES)
    assert [len(vector) for vector in vectors] == [SIZE] * len(HEADLINES) == [1024] * 5
    for vector in vectors:
        values = vector_of(vector)
        assert (values.shape, values.dtype) == ((DIMENSIONS,), np.dtype(np.float32))
        assert np.linalg.norm(values) == pytest.approx(1.0, abs=1e-3)  # float16's precision


def test_the_same_headlines_give_the_same_bytes_every_time() -> None:
    assert encode_headlines(HEADLINES) == encode_headlines(list(HEADLINES))


def test_a_headline_in_another_batch_keeps_its_vector() -> None:
    """Batched with other headlines, a headline's values may move by one float16 step (the
    products are summed in another order); the vector does not."""
    together = encode_headlines(HEADLINES)
    apart = encode_headlines(HEADLINES[:2]) + [encode_headlines([h])[0] for h in HEADLINES[2:]]
    for one, other in zip(together, apart, strict=True):
        assert _cosine(one, other) > 0.9999
        steps = np.abs(vector_of(one) - vector_of(other)) / np.spacing(
            np.abs(vector_of(one)).astype(np.float16)
        )
        assert steps.max() <= 1.0


def test_different_headlines_give_different_vectors() -> None:
    crane, crane_fr, *_others, flood = encode_headlines(HEADLINES)
    assert _cosine(crane, crane_fr) > _cosine(crane, flood)


@pytest.mark.parametrize("title", ["", "   ", "\n\t", "VIDEO:"])
def test_a_blank_headline_has_no_embedding(title: str) -> None:
    assert encode_headlines([HEADLINES[0], title]) == [encode_headlines([HEADLINES[0]])[0], b""]


def test_wire_and_outlet_decorations_are_not_embedded() -> None:
    plain = "Harbour crane collapses onto a container ship in high winds"
    decorated = f"UPDATE 2-{plain} - The Coast Courier"
    assert encode_headlines([decorated]) == encode_headlines([plain])


def test_many_headlines_are_encoded_at_most_BATCH_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batches: list[int] = []
    model = embedding._model()

    class Counting:
        def encode(self, texts: list[str]) -> Any:
            batches.append(len(texts))
            return model.encode(texts)

    monkeypatch.setattr(embedding, "_model", Counting)
    titles = [f"{HEADLINES[n % 5]} ({n})" for n in range(BATCH + 2)]
    assert len(encode_headlines(titles)) == BATCH + 2
    assert batches == [BATCH, 2]


@pytest.mark.parametrize(
    ("data", "valid"),
    [(b"", False), (b"\0" * SIZE, True), (b"\0" * (SIZE - 1), False), (b"\0" * 2048, False)],
    ids=["none", "one-vector", "short", "float32-sized"],
)
def test_only_SIZE_bytes_are_a_vector(data: bytes, valid: bool) -> None:
    assert is_vector(data) is valid
    if not valid:
        with pytest.raises(ValueError, match="1024 bytes"):
            vector_of(data)


def test_loading_the_model_reads_its_tokenizer_and_weights_before_the_first_headline() -> None:
    # USE reads both lazily at its first encode: a parse worker's start must pay that,
    # not the first poll's headlines (about 1.3 s of CPU in the first cycle).
    embedding._model.cache_clear()
    embedding.load_model()
    model = embedding._model()
    assert model._sp is not None
    assert model._backend is not None
