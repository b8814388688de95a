"""The public API of the rules package."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import rules


def _isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 enforces: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def test_all_is_sorted_and_lists_exactly_the_public_names() -> None:
    """``rules.__all__`` is sorted and names every public non-module attribute, no more:
    those imported with the package and those imported on first use (``_LAZY``)."""
    public = {
        name
        for name, value in vars(rules).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    } - {"TYPE_CHECKING", "annotations"}
    assert rules.__all__ == sorted(rules.__all__, key=_isort_key)
    assert set(rules.__all__) == public | set(rules._LAZY)
    assert all(getattr(rules, name) is not None for name in rules.__all__)


def test_the_matching_side_is_imported_on_first_use() -> None:
    """Checking a rule set needs none of the compiler (decision 0064)."""
    code = (
        "import json, sys, rules; before = 'rules.matcher' in sys.modules; "
        "rules.compile_rules; print(json.dumps([before, 'rules.matcher' in sys.modules]))"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout) == [False, True]
