"""The recent-others index: what other daemons stored lately, against which a story about
to be opened is checked (``SharedStories.opened_elsewhere``). It holds minutes of
articles, so its vectors are scanned exactly (``ExactVectors``) instead of being added to
a second graph: the same stories are found as with the graph, and a near vector is never
missed however many others the window holds. Real embeddings of headlines written for
these tests."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from usearch.index import Index

from monitor.config.settings import DedupSettings
from monitor.records.models import Article, MatchKind
from monitor.store import OpenedElsewhere
from monitor.store.records import WindowArticle
from monitor.store.sqlite.store import SqliteStore
from monitor.stories.dedup import Deduplicator, story_index_for
from monitor.stories.embedding import DIMENSIONS, encode_headlines, is_vector, vector_of
from monitor.stories.semantic import ExactVectors
from monitor.stories.shared import RECENT, SharedStories

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
QUAKE = "Earthquake of magnitude 6.1 strikes off northern Chile"
RATE = "Central bank raises interest rate to 45 percent"
STORM = "Storm closes schools across the north"

# Three daemons' articles, as learned in their batches: (daemon, headline, language)
STREAM = [
    ("d2", "Parliament passes budget after long debate", "en"),
    ("d3", STORM, "en"),
    ("d2", QUAKE, "en"),
    ("d4", RATE, "en"),
    ("d3", "Drone strike hits fuel depot near Latakia port", "en"),
    ("d4", "Les prix du pétrole grimpent sur les marchés mondiaux", "fr"),
]

# This daemon's report about to open a story: the headline, its language, and the
# headline of the other daemon's story it joins (None: it opens its own)
MINE = [
    ("Borrowing costs climb to 45 percent as central bank tightens", "en", RATE),
    ("Séisme de magnitude 6,1 au large du nord du Chili", "fr", QUAKE),
    ("Землетрясение магнитудой 6,1 произошло у берегов Чили", "ru", QUAKE),
    ("Storm closes schools across the north", "en", STORM),
    ("Earthquake of magnitude 6.1 strikes off southern Peru", "en", None),
    ("Central bank cuts interest rate to 45 percent", "en", None),
    ("Удар беспилотника по нефтебазе в Хомсе", "ru", None),
]


@functools.cache
def _vector(title: str) -> bytes:
    return encode_headlines([title])[0]


def _story(title: str) -> str:
    return f"s_{[row[1] for row in STREAM].index(title)}"


def _learned(daemon: str, number: int, title: str, language: str, vector: bytes) -> WindowArticle:
    return WindowArticle(f"s_{number}", f"{daemon}_a{number}", title, "", NOW,
                         language=language, embedding=vector)  # fmt: skip


def _stream(rows: list[tuple[str, str, str]]) -> list[list[WindowArticle]]:
    """The rows as each daemon's batches are learned: a batch per run of one daemon."""
    batches: list[list[WindowArticle]] = []
    for number, (daemon, title, language) in enumerate(rows):
        item = _learned(daemon, number, title, language, _vector(title))
        if batches and batches[-1][0].first_article_id.startswith(daemon + "_"):
            batches[-1].append(item)
        else:
            batches.append([item])
    return batches


def _mine(title: str, language: str, vector: bytes) -> Article:
    return Article(
        article_id="mine", feed_url="http://mine.test/feed", feed_name="mine", guid="g",
        title=title, link="http://mine.test/1", summary="", content="", published=None,
        fetched_at=NOW, language=language, embedding=vector,
    )  # fmt: skip


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "shared.db"))
    await store.open()
    yield store
    await store.close()


def _opened(
    store: SqliteStore, batches: list[list[WindowArticle]], mine: Article, *, graph: bool
) -> OpenedElsewhere | None:
    """What this daemon's report, decided before the others' articles were learned, is
    found to join when it is written after."""
    dedup = Deduplicator(store, DedupSettings())
    shared = SharedStories(dedup, clock=lambda: NOW)
    if graph:  # as before: the recent index's vectors in a graph of their own
        shared._recent = story_index_for(dedup.settings, RECENT)
    decision = dedup.decide(mine, None)
    for batch in batches:
        shared.learn(batch)
    return shared.opened_elsewhere([(mine, decision)]).get(decision.story_id)


@pytest.mark.parametrize(("title", "language", "joins"), MINE, ids=[row[0][:24] for row in MINE])
async def test_the_exact_scan_finds_the_story_the_graph_found(
    store: SqliteStore, title: str, language: str, joins: str | None
) -> None:
    mine = _mine(title, language, _vector(title))
    exact = _opened(store, _stream(STREAM), mine, graph=False)
    graph = _opened(store, _stream(STREAM), mine, graph=True)
    assert (exact.story_id if exact else None) == (_story(joins) if joins else None)
    assert _found(exact) == _found(graph)
    if exact and graph and exact.score is not None:  # one cosine, summed in another order
        assert exact.score == pytest.approx(graph.score, abs=1e-4)


def _found(opened: OpenedElsewhere | None) -> tuple[str, str, MatchKind] | None:
    return (opened.story_id, opened.first_article_id, opened.evidence) if opened else None


@pytest.mark.parametrize("place", [0, 150, 299], ids=["learned first", "amid", "learned last"])
async def test_a_near_vector_is_found_among_many_nearer_to_each_other(
    store: SqliteStore, place: int
) -> None:
    """300 of three daemons' reports crowd around the query's direction (each below the
    bar, all nearer to one another than to it); the one report of the event, learned
    anywhere among them, is found by meaning."""
    russian = MINE[2][0]
    query = vector_of(_vector(russian))
    rng = np.random.default_rng(place)
    crowd = query / np.linalg.norm(query) + rng.standard_normal(DIMENSIONS) * 0.04
    batches = [
        [_learned(f"d{2 + n % 3}", n, f"Weekly market bulletin {n}", "en",
                  _stored(crowd + rng.standard_normal(DIMENSIONS) * 0.045))]
        for n in range(300)
    ]  # fmt: skip
    batches[place] = [_learned("d2", place, QUAKE, "en", _vector(QUAKE))]
    found = _opened(store, batches, _mine(russian, "ru", _vector(russian)), graph=False)
    assert found is not None
    assert (found.story_id, found.evidence) == (f"s_{place}", MatchKind.SEMANTIC)


def _stored(vector: np.ndarray) -> bytes:
    """A vector as an article's embedding is stored."""
    data = vector.astype("<f2").tobytes()
    assert is_vector(data)
    return data


def _graph_nearest(rows: np.ndarray, gone: list[int], query: np.ndarray, count: int) -> list[int]:
    graph = Index(ndim=DIMENSIONS, metric="cos", dtype="i8")
    for serial, row in enumerate(rows, start=1):
        if serial not in gone:
            graph.add(serial, row)
    found = graph.search(query, count, exact=True)
    return [int(key) for key in found.keys]


# (vectors held, of which removed, neighbours asked)
SCANS = [(1, [], 16), (40, [], 16), (300, [], 16), (300, [3, 150, 299], 16), (500, [], 64)]


@pytest.mark.parametrize(("size", "gone", "count"), SCANS)
def test_exact_neighbours_are_the_graphs_searched_exhaustively(
    size: int, gone: list[int], count: int
) -> None:
    rng = np.random.default_rng(size)
    rows = rng.standard_normal((size, DIMENSIONS)).astype(np.float32)
    window = ExactVectors()
    for serial, row in enumerate(rows, start=1):
        window.add(serial, row)
    window.remove(gone)
    for query in rng.standard_normal((5, DIMENSIONS)).astype(np.float32):
        found = window.nearest(query, count)
        assert [serial for serial, _ in found] == _graph_nearest(rows, gone, query, count)
        assert len(found) == min(count, size - len(gone))


def test_equal_vectors_come_by_serial_and_removal_gives_back_memory() -> None:
    window = ExactVectors()
    axis = np.eye(DIMENSIONS, dtype=np.float32)[0]
    for serial in (9, 4, 7, 1, 12):
        window.add(serial, axis * serial)  # one direction, five lengths
    assert [serial for serial, _ in window.nearest(axis, 3)] == [1, 4, 7]
    for serial in range(100, 1100):
        window.add(serial, axis + np.float32(serial))
    grown = window.memory_bytes
    window.remove(list(range(100, 1100)))
    assert len(window) == 5 and window.memory_bytes < grown / 8
    assert np.array_equal(window.stored([12, 99, 9]), np.vstack([axis * 127, axis * 127]))
