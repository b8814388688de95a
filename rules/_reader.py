"""Typed reads of one parsed TOML source that report problems instead of raising.

Every read returns a usable fallback after reporting, so the loader can go on
and find the next problem; the fallbacks never reach a RuleSet because any
reported problem makes ``load_ruleset`` raise.
"""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections.abc import Callable, Collection
from functools import partial

from rules._locate import KeyLocator, KeyPath
from rules.errors import RuleError
from rules.model import Location
from rules.text import term_tokens, wildcard_problem

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_TYPES: dict[type[object], str] = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    list: "an array",
    dict: "a table",
}


class SourceReader:
    """Reads values out of one source, collecting a RuleError for each problem."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self.lines = DeferredLines(text)
        self.errors: list[RuleError] = []
        self.references: list[tuple[str, KeyPath]] = []  # checked once every source is read
        self.notifier_references: list[tuple[str, KeyPath]] = []  # checked by the caller's names

    def location(self, path: KeyPath) -> Location:
        return Location.deferred(self.source, key_text(path), self.lines.finder(path))

    def error(self, path: KeyPath, message: str) -> None:
        self.errors.append(RuleError(message, self.location(path)))

    def error_at_line(self, line: int, message: str) -> None:
        self.errors.append(RuleError(message, Location(self.source, line)))

    def check_keys(self, table: dict[str, object], allowed: Collection[str], path: KeyPath) -> None:
        for key in table:
            if key not in allowed:
                self.error((*path, key), f"unknown key {key!r}{suggestion(key, allowed)}")

    def table(self, value: object, path: KeyPath) -> dict[str, object] | None:
        checked = self._check(value, path, dict, None)
        return checked if isinstance(checked, dict) else None

    def array(
        self, value: object, path: KeyPath, *, required: bool = False, non_empty: bool = False
    ) -> list[object]:
        checked = self._check(value, path, list, None if required else [])
        if non_empty and value == []:
            self.error(path, "must not be empty")
        return checked if isinstance(checked, list) else []

    def string(self, value: object, path: KeyPath, default: str | None = None) -> str:
        checked = self._check(value, path, str, default)
        return checked if isinstance(checked, str) else ""

    def boolean(self, value: object, path: KeyPath, default: bool) -> bool:
        checked = self._check(value, path, bool, default)
        return checked if isinstance(checked, bool) else default

    def name(self, value: object, path: KeyPath) -> str:
        """A required name: a string with something in it."""
        name = self.string(value, path)
        if isinstance(value, str) and not name.strip():
            self.error(path, "name must not be empty")
        return name

    def term(self, value: object, path: KeyPath) -> str:
        """A required term that leaves at least one word, with at most a valid final ``*``."""
        term = self.string(value, path)
        if not isinstance(value, str):
            return term
        problem = wildcard_problem(term)
        if not term_tokens(term):
            problem = f"{term!r} has no letters or digits" if term.strip() else "term is empty"
        if problem:
            self.error(path, problem)
        return term

    def number(
        self, value: object, path: KeyPath, low: float, high: float, default: float | None = None
    ) -> float:
        """A number (integer or float) from ``low`` to ``high``; ``default`` when absent."""
        if value is None:
            if default is None:
                self.error(path, "required key is missing")
            return low if default is None else default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, f"expected a number, got {type_name(value)}")
            return low
        if not low <= value <= high:  # also refuses nan
            self.error(path, f"{value} is out of range: give {low:g} to {high:g}")
        return float(value)

    def integer(self, value: object, path: KeyPath, low: int, high: int, default: int) -> int:
        """An integer from ``low`` to ``high``; ``default`` when absent."""
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected an integer, got {type_name(value)}")
            return default
        if not low <= value <= high:
            self.error(path, f"{value} is out of range: give {low} to {high}")
        return value

    def terms(self, value: object, path: KeyPath, *, required: bool = True) -> tuple[str, ...]:
        items = self.array(value, path, required=required, non_empty=required)
        return tuple(self.term(item, (*path, index)) for index, item in enumerate(items))

    def names(self, value: object, path: KeyPath) -> tuple[str, ...]:
        items = self.array(value, path)
        return tuple(self.name(item, (*path, index)) for index, item in enumerate(items))

    def choices(self, value: object, allowed: tuple[str, ...], path: KeyPath) -> tuple[str, ...]:
        """An optional, non-empty array of values from ``allowed``."""
        items = self.array(value, path, non_empty=True)
        return tuple(self.choice(item, allowed, (*path, index)) for index, item in enumerate(items))

    def choice(self, value: object, allowed: tuple[str, ...], path: KeyPath) -> str:
        chosen = self.string(value, path)
        if isinstance(value, str) and chosen not in allowed:
            self.error(path, f"{chosen!r} is not one of {', '.join(allowed)}")
        return chosen

    def _check(self, value: object, path: KeyPath, kind: type[object], default: object) -> object:
        """``value`` if of type ``kind``, ``default`` if missing; None after reporting."""
        if value is None:  # TOML has no null: None means the key is absent
            if default is None:
                self.error(path, "required key is missing")
            return default
        if isinstance(value, kind):
            return value
        self.error(path, f"expected {_TOML_TYPES[kind]}, got {type_name(value)}")
        return None


class DeferredLines:
    """The lines of the key paths one source's locations name, found by a single scan of
    its text when the first of them is read: loading a valid file scans nothing (with
    10,000 feeds beside a rule, the scan was a large part of the load, which comes before
    the listener binds). Once scanned only the lines asked for are kept, not the
    locator's map of every key; a path asked for later (on the way to a message) brings
    another scan. Locked: the first read may come from any thread."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pending: list[KeyPath] = []
        self._found: dict[KeyPath, int | None] = {}
        self._lock = threading.Lock()

    def finder(self, path: KeyPath) -> Callable[[], int | None]:
        """What finds ``path``'s line, for ``Location.deferred``."""
        with self._lock:
            self._pending.append(path)
        return partial(self._line_of, path)

    def _line_of(self, path: KeyPath) -> int | None:
        with self._lock:
            if self._pending:
                locator = KeyLocator(self._text)
                self._found.update((pending, locator.line_of(pending)) for pending in self._pending)
                self._pending.clear()
            return self._found[path]


def type_name(value: object) -> str:
    return _TOML_TYPES.get(type(value), "a date/time")


def key_text(path: KeyPath) -> str:
    """``("rules", 1, "severity")`` as the user reads it: ``rules[1].severity``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            text += f".{key}" if text else key
    return text


def suggestion(word: str, choices: Collection[str]) -> str:
    """A " (did you mean ...?)" hint for a misspelt key or name, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_name(kind: str, name: str, known: Collection[str]) -> str:
    """``unknown notifier 'hoook' (did you mean 'hook'?)``; with no close name, the known ones."""
    hint = suggestion(name, known)
    if not hint:
        hint = f" (known: {', '.join(sorted(known))})" if known else f" (no {kind} is defined)"
    return f"unknown {kind} {name!r}{hint}"
