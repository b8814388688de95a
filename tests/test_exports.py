"""Each package's public API is its ``__all__``: complete, importable, in ruff's sort order;
for ``monitor``'s subpackages, what the others may use."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest


def _ruff_order(names: list[str]) -> list[str]:
    # RUF022: SCREAMING_CASE constants, then CamelCase classes, then everything else.
    def key(name: str) -> tuple[int, str]:
        if re.fullmatch(r"[A-Z0-9_]+", name) and len(name) > 1:
            return (0, name)
        return (1, name) if name[:1].isupper() else (2, name)

    return sorted(names, key=key)


MONITOR = Path(__file__).resolve().parents[1] / "monitor"
SUBPACKAGES = sorted(f"monitor.{init.parent.name}" for init in MONITOR.glob("*/__init__.py"))


@pytest.mark.parametrize("package", ["monitor", "rules", "notifiers", *SUBPACKAGES])
def test_all_is_sorted_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)
    assert exported == _ruff_order(exported)
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert hasattr(module, name), name
