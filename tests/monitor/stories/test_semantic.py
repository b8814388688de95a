"""The semantic tier: reports of one event that share too few words, or none (another
language), join by their headlines' sentence embeddings; look-alikes (another place,
other numbers, the opposite direction) stay apart. Real embeddings of headlines written
for these tests; each pair also checked without vectors, where it must not join."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.config.settings import DedupSettings
from monitor.records.models import Article, DedupDecision, MatchKind, Verdict
from monitor.store.records import WindowArticle
from monitor.store.sqlite.store import SqliteStore
from monitor.stories import semantic
from monitor.stories.dedup import Deduplicator
from monitor.stories.embedding import encode_headlines
from monitor.stories.index import StoryIndex
from monitor.stories.semantic import VectorWindow
from monitor.stories.shared import SharedStories
from tests.support.processes import COLD_START_GUARD

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
    # a language the embedding was not taught to align: its cosine says nothing
    (QUAKE, "en", "Jordskjelv med styrke 6,1 utenfor Nord-Chile", "no", False),
    # roundups: too few words to tell one day's from another's
    ("Sport in brief", "en", "Le sport en bref", "fr", False),
    ("Weather forecast for today", "en", "Прогноз погоды на сегодня", "ru", False),
]  # fmt: skip


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


RUSSIAN_QUAKE = "Землетрясение магнитудой 6,1 произошло у берегов Чили"
MALFORMED = [
    b"",
    b"\x00" * 7,
    b"\x00" * 1023,
    np.full(512, np.nan, dtype="<f2").tobytes(),
    np.full(512, np.inf, dtype="<f2").tobytes(),
    bytes(1024),  # all zeros: no direction
]
MALFORMED_IDS = ["none", "short", "odd", "not-a-number", "infinite", "zeros"]


@pytest.mark.parametrize("vector", MALFORMED, ids=MALFORMED_IDS)
def test_a_malformed_query_vector_joins_nothing_by_meaning(vector: bytes) -> None:
    index = _window(QUAKE, "en", vectors=True)
    assert _joined(index, RUSSIAN_QUAKE, "ru", vector) is None


@pytest.mark.parametrize("vector", MALFORMED, ids=MALFORMED_IDS)
def test_a_malformed_stored_vector_is_left_out_of_the_window(vector: bytes) -> None:
    index = _window(QUAKE, "en", vectors=True)
    held = index.vectors
    index.add("s2", "a2", "Talks on grain exports resume in Istanbul", NOW, vector=vector)
    assert index.vectors == held
    [query] = encode_headlines([RUSSIAN_QUAKE])
    assert _joined(index, RUSSIAN_QUAKE, "ru", query) is MatchKind.SEMANTIC


def test_pruned_articles_leave_the_vector_window() -> None:
    index = _window(QUAKE, "en", vectors=True)
    second = RUSSIAN_QUAKE
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


def _report(number: int, title: str, language: str) -> Article:
    [vector] = encode_headlines([title])
    return Article(
        article_id=f"a{number}", feed_url=f"http://{number}.test/feed", feed_name=f"{number}",
        guid=f"g{number}", title=title, link=f"http://{number}.test/{number}", summary="",
        content="", published=None, fetched_at=NOW, language=language, embedding=vector,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "joins"),
    [(DedupSettings(), True), (DedupSettings(cross_language_similarity=0.95), False),
     (DedupSettings(semantic=False), False)],
    ids=["defaults", "a higher bar", "semantic off"],
)  # fmt: skip
async def test_a_restart_and_a_reload_group_by_the_stored_vectors(
    tmp_path: Path, settings: DedupSettings, joins: bool
) -> None:
    """The English report is stored with its vector; a new daemon warmed from the store
    (and again after a reload) folds the Russian report into its story by meaning, with
    the bars and the switch its settings give."""
    store = SqliteStore(str(tmp_path / "warm.db"))
    await store.open()
    try:
        first = _report(1, QUAKE, "en")
        await store.record_article(first, DedupDecision(Verdict.NEW_STORY, "s1"), [])
        dedup = Deduplicator(store, settings)
        for warm in (dedup.load, dedup.reload):
            await warm(NOW)
            decision = await dedup.classify(_report(2, RUSSIAN_QUAKE, "ru"))
            joined = decision.verdict is Verdict.FOLDED and decision.story_id == "s1"
            assert joined is joins
            assert (decision.evidence is MatchKind.SEMANTIC) is joins
    finally:
        await store.close()


@pytest.mark.parametrize(("semantic", "joins"), [(True, True), (False, False)])
async def test_a_story_another_daemon_opened_is_found_by_meaning(
    tmp_path: Path, semantic: bool, joins: bool
) -> None:
    """Another daemon stored the English report; this one's Russian report would open a
    story, and is folded into theirs by meaning (not when ``semantic`` is off)."""
    store = SqliteStore(str(tmp_path / "shared.db"))
    await store.open()
    try:
        dedup = Deduplicator(store, DedupSettings(semantic=semantic))
        shared = SharedStories(dedup, clock=lambda: NOW)
        mine = _report(2, RUSSIAN_QUAKE, "ru")
        decision = dedup.decide(mine, None)
        [vector] = encode_headlines([QUAKE])
        shared.learn([WindowArticle("s_theirs", "a1", QUAKE, "", NOW, language="en",
                                    embedding=vector)])  # fmt: skip
        found = shared.opened_elsewhere([(mine, decision)])
    finally:
        await store.close()
    assert decision.verdict is Verdict.NEW_STORY
    theirs = found.get(decision.story_id)
    assert (theirs is not None and theirs.evidence is MatchKind.SEMANTIC) is joins


def test_adds_made_in_the_adding_thread_build_the_graph_inline_adds_build() -> None:
    """Each read waits for the adds asked before it: the neighbours are those of the same
    adds made one by one in the caller's thread, whatever the adding thread's timing."""
    rng = np.random.default_rng(17)
    vectors = rng.standard_normal((300, 512)).astype(np.float32)
    window, inline = VectorWindow(), VectorWindow()
    for serial, vector in enumerate(vectors, start=1):
        window.add(serial, vector)
        inline._index.add(serial, vector, threads=1)  # the graph's own add, no thread
        if serial % 50 == 0:  # reads between adds, as lookups come between articles
            assert window.nearest(vector, 16) == inline.nearest(vector, 16)
    window.remove([5, 6])
    inline.remove([5, 6])
    assert len(window) == len(inline) == 298
    queries = rng.standard_normal((20, 512)).astype(np.float32)
    assert [window.nearest(q, 16) for q in queries] == [inline.nearest(q, 16) for q in queries]
    assert np.array_equal(window.stored([1, 2, 300]), inline.stored([1, 2, 300]))


def test_adds_made_together_build_the_graph_one_by_one_adds_build() -> None:
    """Adds asked inside ``together`` (as another daemon's articles are learned) are handed
    to the graph in one call: the same graph bytes as the same adds made one by one, and a
    read inside a run sees every add asked before it."""
    rng = np.random.default_rng(23)
    vectors = rng.standard_normal((300, 512)).astype(np.float32)
    batched, single = VectorWindow(), VectorWindow()
    for start in range(0, 300, 30):
        with batched.together():
            for serial in range(start + 1, start + 31):
                batched.add(serial, vectors[serial - 1])
                single.add(serial, vectors[serial - 1])
                if serial % 45 == 0:  # a read inside a run sees the adds before it
                    assert batched.nearest(vectors[0], 16) == single.nearest(vectors[0], 16)
                    assert len(batched) == serial
    assert len(batched) == 300
    assert _graph_bytes(batched) == _graph_bytes(single)


def _graph_bytes(window: VectorWindow) -> bytes:
    saved = window._settled().save()  # no path given: the graph serialised in memory
    assert saved is not None
    return bytes(saved)


def test_a_read_makes_the_adds_the_adding_thread_has_not_taken_in_order() -> None:
    """A read does not wait for the adding thread to be scheduled: the adds still queued
    are made by the reader, oldest first. Here the thread never takes them (it has
    ended), so every one is made by the read, in the order asked."""
    adder = semantic._Adder()
    adder._wake.put(False)  # the adding thread ends; nothing else takes the queue
    adder._thread.join()
    made: list[int] = []
    for number in range(5):
        adder.put(functools.partial(made.append, number))
    adder.wait()
    assert made == [0, 1, 2, 3, 4]


def test_a_read_inside_together_makes_the_held_adds_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Adds held by ``together`` (an ingest batch's) are made by the read that needs them,
    on the reader's thread: it does not hand them to the adding thread and wait for it to
    be scheduled. The neighbours are those of the same adds made one by one."""
    rng = np.random.default_rng(29)
    vectors = rng.standard_normal((40, 512)).astype(np.float32)
    window, single = VectorWindow(), VectorWindow()
    graph_add, threads = window._index.add, []

    def recorded(*args: Any, **options: Any) -> Any:  # usearch's add, whatever it takes
        threads.append(threading.current_thread())
        return graph_add(*args, **options)

    monkeypatch.setattr(window._index, "add", recorded)
    with window.together():
        for serial, vector in enumerate(vectors, start=1):
            window.add(serial, vector)
            single.add(serial, vector)
            assert window.nearest(vector, 8) == single.nearest(vector, 8)
    assert threads == [threading.main_thread()] * 40


def test_adds_made_by_the_thread_and_by_readers_keep_their_order() -> None:
    """Adds asked in bursts, reads between them: whichever thread makes each add, they
    are made one at a time in the order asked, and a read returns once all before it
    are made."""
    adder = semantic._Adder()
    made: list[int] = []
    for number in range(2000):
        adder.put(functools.partial(made.append, number))
        if number % 7 == 0:
            adder.wait()
            assert len(made) == number + 1
    adder.wait()
    adder.close()
    assert made == list(range(2000))


# A process that exits while the adding thread is inside the graph's add: usearch's
# progress callback parks it there until the exit begins; the add then goes on while
# Python exits, and an object deleted as Python finalises (after atexit: a thread taking
# the GIL now is ended) holds the process until the add is over. So the thread surely
# takes the GIL again inside usearch's C++ while Python finalises, every run.
_IN_AN_ADD_AT_EXIT = """
import atexit, threading
import numpy as np
from monitor.stories import semantic

window = semantic.VectorWindow()
inside, go, done = threading.Event(), threading.Lock(), threading.Lock()
go.acquire()
done.acquire()

def held(processed: int, total: int) -> bool:
    if not inside.is_set():
        inside.set()
        go.acquire()
    return True

graph_add = window._index.add
window._index.add = lambda keys, vectors, **options: graph_add(
    keys, vectors, progress=held, **options
)
with window.together():  # one add of them all: the thread stays in it
    for serial, row in enumerate(np.random.default_rng(7).standard_normal((2000, 512))):
        window.add(serial, row.astype(np.float32))
semantic._adder().put(done.release)  # queued behind the add
atexit.register(go.release)  # the first handler to run at exit: the add goes on

class Finalising:
    def __init__(self) -> None:
        self.over = done.acquire  # bound now: module globals are gone when it is deleted

    def __del__(self) -> None:
        self.over(True, 60)  # the GIL released until the add is over (60 s: a hang guard)

finalising = Finalising()
inside.wait()
"""


def test_a_process_that_exits_inside_a_vector_add_exits_cleanly() -> None:
    """The adding thread is ended at exit once its current add is made: a daemon thread
    that takes the GIL inside usearch's add while Python finalises aborts the process
    (SIGABRT, "terminate called without an active exception"). The exit is made to come
    while the thread is inside an add (see above), so this fails on every run without
    the adding thread's end at exit (``atexit`` in ``monitor.stories.semantic``)."""
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-c", _IN_AN_ADD_AT_EXIT]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=COLD_START_GUARD
    )
    assert (done.returncode, done.stderr) == (0, "")
