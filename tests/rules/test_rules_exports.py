"""The public API of the rules package."""

from __future__ import annotations

import inspect

import rules


def _isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 enforces: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def test_all_is_sorted_and_lists_exactly_the_public_names() -> None:
    """``rules.__all__`` is sorted and names every public non-module attribute, no more."""
    public = {
        name
        for name, value in vars(rules).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert rules.__all__ == sorted(rules.__all__, key=_isort_key)
    assert set(rules.__all__) == public
