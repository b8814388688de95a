"""bench.false_matches_latin: how dictionaries are read, which text words are paired with
terms, and what the report says of the watch. Dictionaries and texts are written here."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from bench import false_matches_latin
from bench.false_matches_latin import Check, dictionary_words, render, text_pairs

# A .dic starts with its word count; /S adds an -s form (the .aff below).
DIC = "3\nchat/S\nchien\nloup/S\n"
AFF = "SET UTF-8\nSFX S Y 1\nSFX S 0 s .\n"


@pytest.fixture
def hunspell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "fr.dic").write_text(DIC, encoding="utf-8")
    (tmp_path / "fr.aff").write_text(AFF, encoding="utf-8")
    monkeypatch.setattr(false_matches_latin, "HUNSPELL", tmp_path)
    return tmp_path


@pytest.mark.skipif(shutil.which("unmunch") is None, reason="hunspell-tools' unmunch absent")
def test_expanded_dictionary_keeps_its_first_word(hunspell: Path) -> None:
    read = dictionary_words("fr")
    assert read is not None
    assert read[0] == ["chat", "chats", "chien", "loup", "loups"]
    assert "expanded by unmunch" in read[1]


def test_listed_dictionary_skips_only_its_count_line(
    hunspell: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(hunspell))  # no unmunch to run
    read = dictionary_words("fr")
    assert read is not None
    assert read[0] == ["chat", "chien", "loup"]
    assert "listed forms" in read[1]


def test_every_term_of_a_shared_stem_is_paired_with_a_text_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(false_matches_latin, "WATCH", {"fr": "Russie russe"})
    monkeypatch.setattr(false_matches_latin, "PACKS", tmp_path)  # no pack terms
    result = Check("fr", "test")
    text_pairs(result, ["Les navires russes croisent au large de la Russie."])
    assert result.stem_only_pairs == Counter(
        {("russie", "russes"): 1, ("russe", "russes"): 1, ("russe", "russie"): 1}
    )
    assert result.texts == 1


def test_report_gives_each_languages_watch_size() -> None:
    sizes = {name: len(false_matches_latin.WATCH[code].split())
             for code, name in false_matches_latin.NAMES.items()}  # fmt: skip
    text = render([], [])
    assert ", ".join(f"{name} {size}" for name, size in sorted(sizes.items())) in text
