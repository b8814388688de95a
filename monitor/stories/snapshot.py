"""The story index saved to a file and read back, so a restart need not re-read the window.

Warming the index from the store costs ~195 µs an article (its words, names and numbers
read again): 78 s at 400,000 windowed articles. A snapshot holds what that work produced,
and loading it costs a few microseconds an article (docs/decisions/0051-index-snapshots.md).

The file: a magic line, a JSON header, then the payload (the lexical index as a pickle of
plain tuples, lists and dicts, then the vector graph as usearch saves it). The header
names the format, a fingerprint of the code that reads words (``monitor.stories``'s
sources: other code would read other words) and of the grouping settings, the store's
arrival mark the snapshot was taken at, the id of the article stored at that mark, when
it was written, and the payload's SHA-256. Anything that does not match is refused with a
reason, never loaded: the caller warms the index from the store instead.

The pickle is read with every global refused (:class:`_PlainUnpickler`): only builtin
containers, strings, numbers and bytes can come out of it, whatever the file holds.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from monitor.config import DedupSettings
from monitor.stories.dedup import story_index_for
from monitor.stories.directions import NO_DIRECTIONS
from monitor.stories.evidence import Entry, IndexedStory
from monitor.stories.index import StoryIndex
from monitor.stories.names import Said
from monitor.stories.semantic import VectorWindow

__all__ = [
    "SnapshotError",
    "SnapshotMark",
    "StoryState",
    "capture",
    "expected",
    "header_for",
    "mark_of",
    "paused_gc",
    "read",
    "restore",
    "write",
    "written_at",
]

# 4: an entry's name counts; members and headline lookup told by the entries. 5: a story
# row keeps when the story opened (six fields, not five: decision 0093's late merge).
FORMAT = 5
_MAGIC = b"wirewatch story index\n"
_HEADER_MAX = 64 * 1024  # a longer first line is no header of ours
_CHUNK = 20_000  # rows pickled (and read back) in one call, holding the GIL
_CHUNKS = "_chunks"
_EMPTY: frozenset[Any] = frozenset()
_SOURCES = Path(__file__).parent
_NOT_GROUPING = ("snapshot", "snapshot_path", "snapshot_interval")  # where, not how


class SnapshotError(Exception):
    """A snapshot that cannot be used, and why (logged; the index is warmed instead)."""


@dataclass(frozen=True, slots=True)
class SnapshotMark:
    """Where in the store a snapshot was taken: its arrival mark and the article there."""

    arrival: int
    article_id: str  # "" when the store held no article


@dataclass(frozen=True, slots=True)
class StoryState:
    """A story index captured on the event loop, to be written off it."""

    lexical: dict[str, Any]  # plain data only: what the pickle holds
    vectors: bytes | bytearray  # the usearch graph, as it saves itself
    articles: int


def code_fingerprint() -> str:
    """The sources that read a headline's words: a snapshot from other code is refused."""
    digest = hashlib.sha256()
    for path in sorted(_SOURCES.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def settings_fingerprint(settings: DedupSettings) -> str:
    grouping = settings.model_dump(mode="json", exclude=set(_NOT_GROUPING))
    values = json.dumps(grouping, sort_keys=True)
    return hashlib.sha256(values.encode()).hexdigest()[:32]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while hundreds of thousands of objects, none of
    them garbage, are made: each collection would walk them all again (a restore of
    100,000 articles took 9 s with it, 1 s without). Process-wide: the event loop only
    answers probes meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def capture(index: StoryIndex) -> StoryState:
    """The index's parts as plain data, taken while nothing else changes it."""
    with paused_gc():
        return _captured(index)


def _captured(index: StoryIndex) -> StoryState:
    stories = list(index._stories.values())
    position = {story.story_id: place for place, story in enumerate(stories)}
    shared: dict[Any, Any] = {}
    heads = index._by_headline
    lexical = {
        "serial": index._serial,
        "stories": [_story_row(story) for story in stories],
        "entries": [_entry_row(*item, position, shared, heads) for item in index._entries.items()],
        "names_version": index._names.version,
        "names": [(token, *counts) for token, counts in index._names._counts.items()],
    }
    vectors = _graph(index)._settled().save() or b""  # once the adds asked for are made
    return StoryState(lexical, vectors, len(index._entries))


def _graph(index: StoryIndex) -> VectorWindow:
    """The index's vector graph: the daemon's own index keeps one (only the minutes-long
    recent-others index scans its vectors instead, and is never snapshotted)."""
    graph = index._vectors
    if not isinstance(graph, VectorWindow):
        raise SnapshotError("a story index without a vector graph is not snapshotted")
    return graph


def _story_row(story: IndexedStory) -> tuple[Any, ...]:
    centroid = story.centroid
    kept = None if centroid is None else (centroid.tobytes(), centroid.shape, centroid.dtype.str)
    return (story.story_id, story.first_article_id, story.last_seen.timestamp(), kept,
            story.recent, story.opened)  # fmt: skip


def _entry_row(
    serial: int,
    entry: Entry,
    position: dict[str, int],
    shared: dict[Any, Any],
    by_headline: dict[str, int],
) -> tuple[Any, ...]:
    """An entry as plain data; equal sets of numbers, directions and names (most entries
    share a few) pickled once, so the restored index holds each once too. Its story's
    members and the headline lookup are not saved apart but told by the entries (in
    serial order, and whether the lookup finds this one): restored, they hold the
    entries' own serials, not ~64 bytes an article of equal ints of their own."""
    one = shared.setdefault
    return (serial, position[entry.story.story_id], entry.headline, entry.tokens, entry.extra,
            entry.names, one(entry.numbers, entry.numbers), one(entry.counts, entry.counts),
            entry.seen, entry.language, one(entry.directions, entry.directions),
            one(entry.aliases, entry.aliases), entry.stored, entry.said,
            by_headline.get(entry.headline) == serial)  # fmt: skip


def _pickled(lexical: dict[str, Any]) -> bytes:
    """The lexical parts as one pickle of their scalars and the lengths of their lists in
    chunks, then the chunks, by one pickler: a string or set met again is a reference to
    the first, across chunks too. In chunks because each pickling holds the GIL, and the
    event loop answers probes between them (a whole window is one call of seconds)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    lists = {key: value for key, value in lexical.items() if isinstance(value, list)}
    head = {key: value for key, value in lexical.items() if key not in lists}
    pickler.dump({**head, _CHUNKS: {key: len(range(0, len(value), _CHUNK))
                                    for key, value in sorted(lists.items())}})  # fmt: skip
    for _key, value in sorted(lists.items()):
        for start in range(0, len(value), _CHUNK):
            pickler.dump(value[start : start + _CHUNK])
    return buffer.getvalue()


def _unpickled(lexical: bytes) -> dict[str, Any]:
    """What :func:`_pickled` wrote, read by one unpickler (its references hold across
    chunks), a chunk at a time."""
    unpickler = _PlainUnpickler(io.BytesIO(lexical))
    state = dict(unpickler.load())
    for key, chunks in sorted(dict(state.pop(_CHUNKS)).items()):
        state[key] = [row for _ in range(int(chunks)) for row in unpickler.load()]
    return state


def write(path: Path, state: StoryState, header: dict[str, Any]) -> int:
    """Write atomically (a temporary file beside it, flushed, renamed over it); the bytes
    written. Blocking: run it off the event loop."""
    lexical = _pickled(state.lexical)
    digest = hashlib.sha256(lexical)
    digest.update(state.vectors)
    head = {**header, "format": FORMAT, "lexical_bytes": len(lexical),
            "vector_bytes": len(state.vectors), "sha256": digest.hexdigest()}  # fmt: skip
    head_line = json.dumps(head, sort_keys=True).encode() + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            for part in (_MAGIC, head_line, lexical, state.vectors):
                file.write(part)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)
    return len(_MAGIC) + len(head_line) + len(lexical) + len(state.vectors)


def _sync_directory(directory: Path) -> None:
    """The rename itself made durable (where the platform allows opening a directory)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def read(path: Path, expected: dict[str, Any]) -> tuple[dict[str, Any], bytes, bytes]:
    """The header, lexical and vector parts of a snapshot whose header holds ``expected``
    and whose payload matches its checksum; SnapshotError otherwise. Blocking. Each part
    is read on its own: the file is never held whole besides them."""
    try:
        with path.open("rb") as file:
            return _read_parts(file, expected)
    except OSError as err:
        raise SnapshotError(f"unreadable: {err.strerror or err}") from err


def _read_parts(file: BinaryIO, expected: dict[str, Any]) -> tuple[dict[str, Any], bytes, bytes]:
    if file.read(len(_MAGIC)) != _MAGIC:
        raise SnapshotError("not a story index snapshot")
    header = _header(file.readline(_HEADER_MAX))
    for key, value in {"format": FORMAT, **expected}.items():
        if header.get(key) != value:
            raise SnapshotError(f"{key} differs: snapshot has {header.get(key)!r}")
    lexical_size, vector_size = _size(header, "lexical_bytes"), _size(header, "vector_bytes")
    lexical, vectors = file.read(lexical_size), file.read(vector_size)
    if len(lexical) != lexical_size or len(vectors) != vector_size or file.read(1):
        raise SnapshotError("truncated or extended")
    digest = hashlib.sha256(lexical)
    digest.update(vectors)
    if digest.hexdigest() != header.get("sha256"):
        raise SnapshotError("checksum mismatch")
    return header, lexical, vectors


def _header(line: bytes) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError as err:
        raise SnapshotError("unreadable header") from err
    if not isinstance(header, dict):
        raise SnapshotError("unreadable header")
    return header


def _size(header: dict[str, Any], key: str) -> int:
    value = header.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SnapshotError(f"bad {key}")
    return value


class _PlainUnpickler(pickle.Unpickler):
    """Builtin containers and scalars only: no global is ever looked up."""

    def find_class(self, module: str, name: str) -> Any:
        raise SnapshotError(f"refused global {module}.{name}")


def restore(settings: DedupSettings, lexical: bytes, vectors: bytes) -> StoryIndex:
    """A story index holding what :func:`capture` took (SnapshotError if malformed)."""
    try:
        with paused_gc():
            state = _unpickled(lexical)
            index = story_index_for(settings)
            _restore_lexical(index, state)
        if vectors:
            _graph(index)._index.load(vectors)
    except SnapshotError:
        raise
    except Exception as err:  # a malformed payload whose checksum matched: a bug or an edit
        raise SnapshotError(f"malformed payload: {type(err).__name__}: {err}") from err
    return index


def _restore_lexical(index: StoryIndex, state: dict[str, Any]) -> None:
    stories = [_story(row) for row in state["stories"]]
    index._stories = {story.story_id: story for story in stories}
    entries, by_headline = index._entries, index._by_headline
    for row in state["entries"]:
        story = stories[row[1]]
        story.members.append(row[0])  # entries come in serial order, as they were added
        if row[14]:
            by_headline[row[2]] = row[0]
        entries[row[0]] = Entry(story, row[2], row[3], row[4], row[5], row[6] or _EMPTY,
                                row[7] or _EMPTY, float(row[8]), row[9],
                                row[10] or NO_DIRECTIONS, row[11] or _EMPTY,
                                float(row[12]), _said(row[13]))  # fmt: skip
        story.entries += 1
    postings = index._postings
    for serial, entry in entries.items():  # in serial order: as the index appended them
        for token in entry.tokens:
            postings[token].append(serial)
    for token in list(postings):
        sys.intern(token)  # the loaded words become the process's own
    version, counts = state["names_version"], {row[0]: row[1:] for row in state["names"]}
    index._names.version = int(version)
    index._names._counts = {token: list(pair) for token, pair in counts.items()}
    index._serial = int(state["serial"])


def _said(value: Any) -> Said:
    """An entry's name counts as the pickle gave them back (an int, or (word, how) pairs)."""
    if isinstance(value, int):
        return value
    return tuple((str(token), int(how)) for token, how in value)


def _story(row: tuple[Any, ...]) -> IndexedStory:
    story_id, first, last_seen, centroid, recent, opened = row
    story = IndexedStory(story_id, first, datetime.fromtimestamp(last_seen, UTC), float(opened))
    story.recent = None if recent is None else tuple(recent)  # its centroid still to read
    if centroid is not None:
        raw, shape, dtype = centroid
        story.centroid = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape)
    return story


def expected(settings: DedupSettings) -> dict[str, Any]:
    """What a snapshot's header must hold to be loaded, besides its format and checksum."""
    return {"code": code_fingerprint(), "settings": settings_fingerprint(settings)}


def header_for(mark: SnapshotMark, settings: DedupSettings, now: datetime) -> dict[str, Any]:
    """The header a snapshot taken at ``mark`` is written with."""
    return {**expected(settings), "mark": mark.arrival, "mark_article": mark.article_id,
            "written_at": now.isoformat()}  # fmt: skip


def mark_of(header: dict[str, Any]) -> SnapshotMark:
    """Where the snapshot was taken (SnapshotError if the header does not say)."""
    arrival, article_id = header.get("mark"), header.get("mark_article")
    if not isinstance(arrival, int) or arrival < 0 or not isinstance(article_id, str):
        raise SnapshotError("bad mark")
    return SnapshotMark(arrival, article_id)


def written_at(header: dict[str, Any]) -> datetime:
    try:
        when = datetime.fromisoformat(str(header.get("written_at")))
    except ValueError as err:
        raise SnapshotError("bad written_at") from err
    if when.tzinfo is None:
        raise SnapshotError("bad written_at")
    return when
