"""An article is looked up (find) and then added with the same headline and vector: its
vector is decoded once for both, and its headline's cased words are read once. The
decoder is wrapped at its seam to count calls; what the index finds is unchanged."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from monitor.records import MatchKind
from monitor.stories import queries
from monitor.stories import window as window_module
from monitor.stories.embedding import DIMENSIONS
from monitor.stories.headlines import cased_words, strip_decorations
from monitor.stories.index import StoryIndex
from monitor.stories.semantic import decoded
from tests.support.text_reads import count_text_reads

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

    original = decoded  # what the window module calls, wrapped there
    monkeypatch.setattr(window_module, "decoded", counted)
    index = StoryIndex(timedelta(hours=48), threshold=88)
    first, second = _vector(1), _vector(2)
    index.add("s1", "a1", "Harbour crane collapses onto a container ship", NOW, vector=first)
    title = "Rail strike halts freight trains across the north"
    assert index.find(title, NOW, vector=second) is None  # the words find nothing: by meaning
    index.add("s2", "a2", title, NOW, vector=second)
    assert decodes == [first, second]
    assert index.vectors == 2


def test_the_vector_every_window_is_handed_is_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last decoded vector is one array, handed to every window that asks for it (a
    lookup and its add; another daemon's article added to two windows): a write to it
    raises, and grouping with it leaves it as decoded."""
    handed: list[npt.NDArray[np.float32] | None] = []

    def kept(vector: bytes) -> npt.NDArray[np.float32] | None:
        handed.append(original(vector))
        return handed[-1]

    original = decoded  # what the window module calls, wrapped there
    monkeypatch.setattr(window_module, "decoded", kept)
    ours, theirs, vector = (
        StoryIndex(timedelta(hours=48), 88),
        StoryIndex(timedelta(hours=48), 88),
        _vector(3),
    )
    title = "Rail strike halts freight trains across the north"
    for index in (ours, theirs):
        index.find(title, NOW, vector=vector)
        index.add("s1", "a1", title, NOW, vector=vector)
    (array,) = handed  # decoded once for both windows
    assert array is not None and not array.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        array[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        array /= 2
    assert np.array_equal(array, original(vector))  # type: ignore[arg-type]
    assert theirs.find("Rail strike halts freight across the north", NOW, vector=vector) is not None


def test_a_headlines_cased_words_are_read_once_for_its_lookup_and_its_add() -> None:
    index = StoryIndex(timedelta(hours=48), threshold=88)
    title = "Harbour crane collapses onto a container ship near Latakia"
    cased_words.cache_clear()
    index.find(title, NOW)
    index.add("s1", "a1", title, NOW)
    info = cased_words.cache_info()
    assert (info.misses, info.hits) == (1, 0)  # the add takes the lookup's reading
    assert index.find(title, NOW + timedelta(hours=1)) is not None
    found = index.find("Harbour crane collapses onto container ship near Latakia", NOW)
    assert found is not None and found.kind is MatchKind.NEAR_IDENTICAL


LEAD = "Gunmen fired on the convoy outside Latakia on Sunday, officials in Damascus said."
EARLIER = ("Convoy attacked near Latakia, officials say", LEAD)
TITLE = "UPDATE 2-Gunmen attack aid convoy near Latakia - Wire Daily"


def _looked_up(index: StoryIndex) -> tuple[object, ...]:
    """What dedup reads of ``TITLE`` against a window of one earlier report."""
    index.add("s1", "a1", EARLIER[0], NOW, EARLIER[1], language="en")
    named = index.named(TITLE, LEAD, "en")
    found = index.find(TITLE, NOW, LEAD, language="en")
    index.add("s1", "a2", TITLE, NOW, LEAD, language="en")
    assert not len(index._readings)  # given up once its article is added
    return named, found, index.entries, index.names(TITLE, "en")


def test_a_text_read_beforehand_is_not_read_again_and_reads_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A parse worker's reading (pickled, as it crosses from the worker) is used for the
    article's names, lookup and add: its text is not read again on the loop, and every
    answer is the one the index gives reading the text itself."""
    handed = pickle.loads(pickle.dumps(queries.read_text(TITLE, LEAD, "en", phrases=True)))
    reads = count_text_reads(monkeypatch)
    plain, prepared = StoryIndex(timedelta(hours=48), 88), StoryIndex(timedelta(hours=48), 88)
    prepared.preread([handed])
    assert _looked_up(prepared) == _looked_up(plain)
    assert reads.count(TITLE) == 1  # the plain index's; the prepared one read none
    assert _looked_up(plain)[0] == plain.names(strip_decorations(TITLE), "en") + plain.names(
        LEAD, "en"
    )  # the headline's names, then the lead's


def test_readings_kept_beforehand_are_bounded() -> None:
    index = StoryIndex(timedelta(hours=48), 88)
    index.preread(queries.read_text(f"Headline number {n}", "", "en") for n in range(3000))
    assert len(index._readings) == queries.Readings.KEPT
    assert index._readings.take("Headline number 2999", "", "en") is not None  # the newest
    assert index._readings.take("Headline number 0", "", "en") is None
