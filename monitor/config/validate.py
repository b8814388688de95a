"""Validating the settings so that one mistake hides no other.

pydantic reports every invalid value of a model at once, but checks that need the whole
model (a notifier named in ``[alerting]`` must exist; the store's directory must) need
valid settings to run on. So each invalid value is reported, then dropped, and the rest
validated again: the checks across tables then run on everything that is valid, and
``wirewatch check`` lists every mistake of a file in one run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError

from monitor.config.problems import Loc, Problems

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def validate_settings(
    model: type[SettingsT], document: dict[str, Any], problems: Problems
) -> SettingsT | None:
    """The settings, every invalid value reported. Each is then dropped (its default takes
    its place) and the rest validated again, so that the checks across tables still run and
    one mistake hides no other; such settings only serve those checks (``problems`` is not
    empty). None when the environment cannot be read or nothing is left to drop."""
    effective = _with_environment(model, document, problems)
    dropped: list[Loc] = []
    for _ in range(_MAX_PASSES):
        if effective is None:
            return None
        try:
            return model.model_validate(effective)
        except ValidationError as err:
            errors = err.errors(include_url=False, include_input=False)
            problems.validation(
                (error for error in errors if not _within(error["loc"], dropped)), model
            )
            effective, cut = _without(effective, [error["loc"] for error in errors])
            dropped += cut
    return None


_MAX_PASSES = 8  # a pass drops every invalid value; later passes see only what that revealed


def _with_environment(
    model: type[BaseSettings], document: dict[str, Any], problems: Problems
) -> dict[str, Any] | None:
    """The file's values with ``WIREWATCH_*`` variables over them, as pydantic-settings
    merges them; None (reported) when a variable holds no readable value."""
    try:
        environment = EnvSettingsSource(model)()
    except SettingsError as err:  # e.g. WIREWATCH_FEEDS that is not JSON
        problems.add(f"environment: {err}")
        return None
    return _merged(document, environment)


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        inner = merged.get(key)
        # A table of the file with some of its keys set by variables keeps the others.
        if isinstance(inner, dict) and isinstance(value, Mapping):
            merged[key] = _merged(inner, value)
        else:
            merged[key] = value
    return merged


def _within(loc: Loc, dropped: Sequence[Loc]) -> bool:
    """Whether ``loc`` is a dropped key or lies inside one (errors the dropping caused)."""
    return any(tuple(loc[: len(cut)]) == tuple(cut) for cut in dropped)


def _without(
    document: dict[str, Any], locs: Sequence[Loc]
) -> tuple[dict[str, Any] | None, list[tuple[str | int, ...]]]:
    """A copy of ``document`` without the deepest table key on each of ``locs``, and those
    keys' paths; None for the copy when none of them is there to drop."""
    copy = deepcopy(document)
    cuts = list(dict.fromkeys(cut for loc in locs if (cut := _deepest_key(copy, loc))))
    for cut in sorted(cuts, key=len):
        _delete(copy, cut)
    return (copy if cuts else None), cuts


def _deepest_key(document: dict[str, Any], loc: Loc) -> tuple[str | int, ...]:
    """The longest start of ``loc`` that is a key of a table in ``document`` (() if none)."""
    node: Any = document
    walked: tuple[str | int, ...] = ()
    found: tuple[str | int, ...] = ()
    for part in loc:
        if isinstance(node, dict) and part in node:
            found = (*walked, part)
        elif not (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            break
        walked, node = (*walked, part), node[part]
    return found


def _delete(document: dict[str, Any], cut: Sequence[str | int]) -> None:
    """Delete the key at ``cut`` if it is still there (a shorter cut may have taken it)."""
    node: Any = document
    for part in cut[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict):
        node.pop(cut[-1], None)
