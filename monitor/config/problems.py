"""Collecting configuration problems, each where it is written.

A problem names the file, line and key (``wirewatch.toml:12: daemon.concurrency: ...``),
or the environment variable that set the value; misspelt keys and names get a "did you
mean". :meth:`Problems.messages` lists them in the order they are written: the config
file by line, then each included file. Only pydantic's ``msg`` is ever shown: its
``input`` may be a secret.
"""

from __future__ import annotations

import functools
import os
import types
from collections.abc import Iterable, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

import rules

Loc = Sequence[str | int]


class Problems:
    """Every problem found in one config file, the rule files it includes and the environment."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self._text = text
        self._found: list[tuple[str, int, str]] = []  # source, line (0: none), message

    @functools.cached_property
    def locator(self) -> rules.KeyLocator:
        """Where each key is written: read only when a problem needs its line (a second
        pass over the file, ~40 % of reading a valid config with 10,000 feeds)."""
        return rules.KeyLocator(self._text)

    def __bool__(self) -> bool:
        return bool(self._found)

    def messages(self) -> list[str]:
        """Every problem, one line each: the config file's by line, then other sources'."""
        sources = [self.path, *dict.fromkeys(source for source, _, _ in self._found)]
        order = {source: rank for rank, source in enumerate(dict.fromkeys(sources))}
        ranked = sorted(self._found, key=lambda found: (order[found[0]], found[1]))
        return [message for _, _, message in ranked]

    def add(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        """A problem already worded with its place (or with none)."""
        self._found.append((source or self.path, line or 0, message))

    def at(self, loc: Loc, message: str) -> None:
        """A problem of the value at ``loc``: where it is written, or the variable setting it."""
        env = environment_variable(loc)
        if env is not None:
            self.add(f"environment {env}: {dotted(loc)}: {message}")
            return
        line = self.locator.line_of(tuple(loc)) if loc else None
        where = f"{self.path}:{line}" if line else self.path
        key = dotted(loc)
        self.add(f"{where}: {key}: {message}" if key else f"{where}: {message}", line=line)

    def validation(
        self, errors: Iterable[ErrorDetails], model: type[BaseModel], prefix: Loc = ()
    ) -> None:
        """pydantic's errors for ``model`` validated at ``prefix`` (a table of the file)."""
        for detail in errors:
            self.at((*prefix, *detail["loc"]), _message(detail, model))

    def rule_errors(self, errors: Iterable[rules.RuleError]) -> None:
        for error in errors:
            self.add(str(error), source=error.location.source, line=error.location.line)


def _message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    if detail["type"] != "extra_forbidden":
        return detail["msg"]
    *table, key = detail["loc"]
    return f"unknown key{rules.suggestion(str(key), known_keys(model, table))}"


def known_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the table at ``loc`` of ``model`` may hold (none when it is not a table)."""
    annotation: Any = model
    for part in loc:
        annotation = _inner(annotation, part)
    found = _model_in(annotation)
    return list(found.model_fields) if found is not None else []


def _inner(annotation: Any, part: str | int) -> Any:
    """The type of item ``part`` of a value of type ``annotation`` (None when unknown)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (tuple, list) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    model = _model_in(annotation)
    field = model.model_fields.get(str(part)) if model is not None else None
    return field.annotation if field is not None else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model of ``annotation``, or of ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [_model_in(arg) for arg in get_args(annotation)]
        return next((model for model in models if model is not None), None)
    return None


def environment_variable(loc: Loc) -> str | None:
    """The ``WIREWATCH_*`` variable that sets this key (or a table holding it), if one is set."""
    for end in range(len(loc), 0, -1):
        name = "WIREWATCH_" + "__".join(str(part).upper() for part in loc[:end])
        if name in os.environ:
            return name
    return None


def dotted(loc: Iterable[str | int]) -> str:
    """``("feeds", 0, "url")`` as ``feeds[0].url``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
