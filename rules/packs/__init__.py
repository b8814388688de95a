"""Vocabulary packs bundled with wirewatch: entity lists and keyword sets, by name.

A rule source says ``use = ["conflict-escalation", "syria-gazetteer"]`` and may
then refer to the packs' lists as if it had written them. Each pack is a TOML
file beside this module holding only ``[entities.*]`` and ``[keywords.*]``
tables. Reading them is the one read the rules package does: package data that
ships with the code, never a user's file, so rules stay free of I/O choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

PREFIX = "pack:"  # how messages name a pack's source, e.g. "pack:syria-gazetteer:12"


@cache
def bundled() -> Mapping[str, str]:
    """Every bundled pack's name and TOML text."""
    folder = resources.files(__name__)
    texts = {
        item.name.removesuffix(".toml"): item.read_text(encoding="utf-8")
        for item in sorted(folder.iterdir(), key=lambda item: item.name)
        if item.name.endswith(".toml")
    }
    return MappingProxyType(texts)
