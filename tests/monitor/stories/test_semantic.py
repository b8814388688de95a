"""The semantic tier: reports of one event that share too few words, or none (another
language), join by their headlines' sentence embeddings; look-alikes (another place,
other numbers, the opposite direction) stay apart. Real embeddings of headlines written
for these tests; each pair also checked without vectors, where it must not join."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from monitor.records.models import MatchKind
from monitor.stories.embedding import encode_headlines
from monitor.stories.index import StoryIndex
from monitor.stories.semantic import VectorWindow

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BACKGROUND = (
    ("Parliament passes budget after long debate", "en"),
    ("Storm closes schools across the north", "en"),
    ("Les prix du pétrole grimpent sur les marchés mondiaux", "fr"),
)
QUAKE = "Earthquake of magnitude 6.1 strikes off northern Chile"
DEPOT = "Drone strike hits fuel depot near Latakia port"
RATE = "Central bank raises interest rate to 45 percent"

# (first report, its language, a later one, its language, joins by meaning)
PAIRS = [
    (RATE, "en", "Borrowing costs climb to 45 percent as central bank tightens", "en", True),
    (QUAKE, "en", "Séisme de magnitude 6,1 au large du nord du Chili", "fr", True),
    (QUAKE, "en", "Землетрясение магнитудой 6,1 произошло у берегов Чили", "ru", True),
    (QUAKE, "en", "زلزال بقوة 6.1 درجة يضرب شمال تشيلي", "ar", True),
    # look-alikes: another place, other numbers, the opposite direction
    (QUAKE, "en", "Earthquake of magnitude 6.1 strikes off southern Peru", "en", False),
    (QUAKE, "en", "Землетрясение магнитудой 5,4 произошло у берегов Чили", "ru", False),
    (RATE, "en", "Central bank cuts interest rate to 45 percent", "en", False),
    (DEPOT, "en", "Удар беспилотника по нефтебазе в Хомсе", "ru", False),
]


def _window(first: str, language: str, *, vectors: bool) -> StoryIndex:
    index = StoryIndex(timedelta(hours=48), threshold=88)
    titles = [title for title, _ in BACKGROUND] + [first]
    found = encode_headlines(titles) if vectors else [b""] * len(titles)
    for number, ((title, written_in), vector) in enumerate(zip(BACKGROUND, found, strict=False)):
        index.add(f"bg{number}", f"bg{number}", title, NOW - timedelta(hours=2),
                  language=written_in, vector=vector)  # fmt: skip
    index.add("s1", "a1", first, NOW, language=language, vector=found[-1])
    return index


def _joined(index: StoryIndex, second: str, language: str, vector: bytes) -> MatchKind | None:
    found = index.find(second, NOW + timedelta(hours=1), language=language, vector=vector)
    return found.kind if found is not None and found.story_id == "s1" else None


@pytest.mark.parametrize(("first", "first_language", "second", "language", "joins"), PAIRS)
def test_reports_join_by_meaning_unless_a_detail_differs(
    first: str, first_language: str, second: str, language: str, joins: bool
) -> None:
    index = _window(first, first_language, vectors=True)
    [vector] = encode_headlines([second])
    assert _joined(index, second, language, vector) == (MatchKind.SEMANTIC if joins else None)


@pytest.mark.parametrize(("first", "first_language", "second", "language", "joins"), PAIRS)
def test_without_vectors_words_alone_do_not_join_them(
    first: str, first_language: str, second: str, language: str, joins: bool
) -> None:
    index = _window(first, first_language, vectors=False)
    assert _joined(index, second, language, b"") is None


@pytest.mark.parametrize(
    "vector",
    [b"", b"\x00" * 7, b"\x00" * 1023, np.full(512, np.nan, dtype="<f2").tobytes()],
    ids=["none", "short", "odd", "not-a-number"],
)
def test_a_malformed_vector_is_ignored_and_words_still_decide(vector: bytes) -> None:
    index = _window(DEPOT, "en", vectors=True)
    index.add("s2", "a2", "Talks on grain exports resume in Istanbul", NOW, vector=vector)
    assert _joined(index, DEPOT, "en", vector) is MatchKind.SAME_HEADLINE


def test_pruned_articles_leave_the_vector_window() -> None:
    index = _window(QUAKE, "en", vectors=True)
    second = "Землетрясение магнитудой 6,1 произошло у берегов Чили"
    [vector] = encode_headlines([second])
    assert _joined(index, second, "ru", vector) is MatchKind.SEMANTIC
    index.prune(NOW + timedelta(hours=49))
    assert index.vectors == 0
    assert index.find(second, NOW + timedelta(hours=49), language="ru", vector=vector) is None


def test_nearest_vectors_come_most_similar_first_and_removed_ones_never() -> None:
    window = VectorWindow()
    axes = np.eye(512, dtype=np.float32)
    for serial in range(1, 4):
        window.add(serial, axes[0] * serial / 3 + axes[serial] * (1 - serial / 3))
    assert [serial for serial, _ in window.nearest(axes[0], 3)] == [3, 2, 1]
    window.remove([3, 99])
    assert [serial for serial, _ in window.nearest(axes[0], 3)] == [2, 1]
