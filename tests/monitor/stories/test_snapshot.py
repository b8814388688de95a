"""The story index snapshot: a restored index decides as the one it was taken of, and a
file that is corrupt, truncated, from other code or settings, or hostile is refused."""

from __future__ import annotations

import hashlib
import json
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.config.settings import DedupSettings
from monitor.stories.dedup import story_index_for
from monitor.stories.embedding import DIMENSIONS
from monitor.stories.index import StoryIndex
from monitor.stories.snapshot import (
    SnapshotError,
    SnapshotMark,
    capture,
    expected,
    header_for,
    read,
    restore,
    write,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SETTINGS = DedupSettings()

HEADLINES = [  # (story, title, lead, language)
    ("s1", "Iranian troops arrive in Latakia airbase", "Troops landed on Monday.", "en"),
    ("s1", "UPDATE 1-Iranian troops arrive in Latakia airbase", "", "en"),
    ("s2", "Air strikes kill 14 in Homs, monitor says", "", "en"),
    ("s2", "Air strikes kill 40 in Homs, monitor says", "", "en"),
    ("s3", "Hezbollah fighters clash with rebels near Qusayr", "", "en"),
    ("s4", "Авиаудары по Хомсу: погибли 14 человек", "", "ru"),
    ("s5", "حزب الله يرسل مقاتلين إلى القصير", "", "ar"),
    ("s6", "Turkish parliament approves troop deployment to Syria", "", "en"),
    ("s7", "Shares rise on jobs data as markets rally", "", "en"),
]

PROBES = [  # what a new article would be told
    ("Iranian troops arrive in Latakia airbase (AFP)", "en"),
    ("Air strikes kill 52 in Homs, monitor says", "en"),
    ("Hezbollah fighters clash with rebels near Qusayr town", "en"),
    ("Авиаудары по Хомсу: погибли 14 человек", "ru"),
    ("Shares slide on jobs data as markets fall", "en"),
    ("Greek parliament approves troop deployment to Syria", "en"),
]


def _vector(seed: int) -> bytes:
    values = np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
    return (values / np.linalg.norm(values)).astype("<f2").tobytes()


def _index() -> StoryIndex:
    index = story_index_for(SETTINGS)
    for number, (story, title, lead, language) in enumerate(HEADLINES):
        seen = NOW - timedelta(minutes=len(HEADLINES) - number)
        vector = _vector(number % 3)  # some stories share vectors: their wholes get centroids
        index.add(story, f"{story}-first", title, seen, lead, language=language, vector=vector)
    return index


def _probe(index: StoryIndex) -> list[object]:
    return [
        index.find(title, NOW, language=language, vector=_vector(seed))
        for seed, (title, language) in enumerate(PROBES)
    ]


def _wholes(index: StoryIndex) -> list[tuple[str, bytes | None, tuple[int, ...] | None]]:
    return [
        (story.story_id, None if story.centroid is None else story.centroid.tobytes(),
         story.recent)
        for story in index._stories.values()
    ]  # fmt: skip


def _saved(path: Path, index: StoryIndex, mark: SnapshotMark | None = None) -> None:
    write(path, capture(index), header_for(mark or SnapshotMark(7, "a7"), SETTINGS, NOW))


def test_a_restored_index_holds_and_decides_what_the_saved_one_did(tmp_path: Path) -> None:
    index = _index()
    path = tmp_path / "stories"
    _saved(path, index)
    header, lexical, vectors = read(path, expected(SETTINGS))
    restored = restore(SETTINGS, lexical, vectors)
    assert any(story.recent for story in index._stories.values())  # some still to read

    assert (header["mark"], header["mark_article"]) == (7, "a7")
    assert restored.entries == index.entries and len(restored) == len(index)
    assert restored.vectors == index.vectors
    assert dict(restored._postings) == dict(index._postings)
    assert restored._by_headline == index._by_headline
    members = [story.members for story in index._stories.values()]
    assert [story.members for story in restored._stories.values()] == members
    assert restored._names._counts == index._names._counts
    assert _wholes(restored) == _wholes(index)  # centroids read, or their members to read
    assert _probe(restored) == _probe(index)
    # and both go on alike: the same article joins the same story in each
    for each in (index, restored):
        each.add("s8", "s8-first", "Ceasefire holds in Idlib", NOW, language="en")
    assert _probe(restored) == _probe(index)
    assert restored.prune(NOW + timedelta(hours=49)) == index.prune(NOW + timedelta(hours=49))


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def _with_header(data: bytes, **changes: object) -> bytes:
    magic, header, rest = data.split(b"\n", 2)
    head = {**json.loads(header), **changes}
    return magic + b"\n" + json.dumps(head).encode() + b"\n" + rest


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_flip_last_byte, "checksum mismatch"),
        (lambda data: data[:-10], "truncated"),
        (lambda data: data + b"more", "truncated"),
        (lambda data: b"GIF89a" + data, "not a story index snapshot"),
        (lambda data: data.replace(b"{", b"[", 1), "unreadable header"),
        (lambda data: _with_header(data, code="other code"), "code differs"),
        (lambda data: _with_header(data, settings="other"), "settings differs"),
        (lambda data: _with_header(data, format=99), "format differs"),
        (lambda data: _with_header(data, format=4), "format differs"),  # 5-field stories
        (lambda data: _with_header(data, lexical_bytes=-1), "bad lexical_bytes"),
    ],
)
def test_a_damaged_or_foreign_snapshot_is_refused_with_its_reason(
    tmp_path: Path, damage: Any, reason: str
) -> None:
    path = tmp_path / "stories"
    _saved(path, _index())
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(SnapshotError, match=reason):
        read(path, expected(SETTINGS))


def test_other_grouping_settings_refuse_a_snapshot_but_its_own_place_does_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stories"
    _saved(path, _index())
    moved = SETTINGS.model_copy(update={"snapshot_path": "/elsewhere", "snapshot_interval": 60})
    read(path, expected(moved))  # where and how often it is saved: not how it groups
    with pytest.raises(SnapshotError, match="settings differs"):
        read(path, expected(SETTINGS.model_copy(update={"title_similarity": 90.0})))


class _Hostile:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("pwned",))


def test_a_payload_naming_any_global_is_refused_even_with_a_matching_checksum(
    tmp_path: Path,
) -> None:
    lexical = pickle.dumps({"entries": [_Hostile()]}, protocol=5)
    with pytest.raises(SnapshotError, match=r"refused global builtins\.print"):
        restore(SETTINGS, lexical, b"")


def test_a_well_formed_payload_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    lexical = pickle.dumps({"stories": [("s1",)], "entries": []}, protocol=5)
    with pytest.raises(SnapshotError, match="malformed payload"):
        restore(SETTINGS, lexical, b"")


def test_a_snapshot_is_replaced_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "stories"
    _saved(path, _index())
    first = hashlib.sha256(path.read_bytes()).hexdigest()
    index = _index()
    index.add("s9", "s9-first", "Ceasefire holds in Idlib", NOW, language="en")
    _saved(path, index)
    assert hashlib.sha256(path.read_bytes()).hexdigest() != first
    assert [entry.name for entry in tmp_path.iterdir()] == ["stories"]
    restored = restore(SETTINGS, *read(path, expected(SETTINGS))[1:])
    assert restored.entries == index.entries
