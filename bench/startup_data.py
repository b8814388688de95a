"""The headlines ``bench.startup`` seeds its stores with: synthetic ones (four reports a
story, each worded apart) or the first N of the news-story-clusters file, read in place."""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

HEADLINES = (
    Path(__file__).resolve().parents[2] / "shared/data/news-story-clusters/newsCorpora.tsv.gz"
)
REAL = (
    "the first N headlines of the news-story-clusters file, read in place: real English "
    "headlines of ~11,000 outlets, each in the story its cluster names"
)
SYNTHETIC = "synthetic headlines, four reports a story each worded apart"

_ACTORS = (
    "Hezbollah",
    "Hamas",
    "the army",
    "rebels",
    "Kurdish forces",
    "Houthis",
    "police",
    "the government",
    "militants",
    "protesters",
    "the navy",
    "IRGC",
    "NATO",
    "Wagner",
)
_ACTS = (
    "strike",
    "shell",
    "seize",
    "attack",
    "raid",
    "surround",
    "bomb",
    "evacuate",
    "reinforce",
    "withdraw from",
    "clash near",
    "advance on",
    "blockade",
    "patrol",
)
_PLACES = (
    "Latakia",
    "Homs",
    "Aleppo",
    "Idlib",
    "Raqqa",
    "Deir ez-Zor",
    "Daraa",
    "Tartus",
    "Hama",
    "Qusayr",
    "Palmyra",
    "Kobani",
    "Afrin",
    "Manbij",
    "Tal Abyad",
    "Qamishli",
    "Sidon",
    "Tyre",
    "Gaza",
    "Rafah",
    "Hodeidah",
    "Marib",
    "Taiz",
    "Aden",
    "Mosul",
)
_DETAILS = ("overnight", "at dawn", "after talks fail", "as ceasefire collapses",
            "amid protests", "for a third day", "despite warnings", "in new offensive")  # fmt: skip


_SAYS = (", officials say", ", witnesses say", ", state media reports", ", a monitor says")


def _headline(rng: random.Random, event: int) -> str:
    actor, act, place = rng.choice(_ACTORS), rng.choice(_ACTS), rng.choice(_PLACES)
    return f"{actor} {act} {place} {rng.choice(_DETAILS)}, {event % 97 + 2} killed ({event})"


def synthetic_headlines(articles: int) -> Iterator[tuple[str, str]]:
    """(title, story key): four reports a story, each worded apart."""
    for number in range(articles):
        event = number // 4
        yield _headline(random.Random(event), event) + _SAYS[number % 4], f"e{event}"


def real_headlines(path: Path, articles: int) -> Iterator[tuple[str, str]]:
    """(title, story key) of the news-story-clusters file, in its order (real headlines of
    ~11,000 outlets, grouped by the story they report; English)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in islice(handle, articles):
            fields = line.rstrip("\n").split("\t")
            yield fields[1], fields[5]
