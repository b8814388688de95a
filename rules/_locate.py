"""Find the line where a key of a TOML document is written.

The TOML parser (tomli) returns plain dicts without positions, so messages about a value would
have no line. ``KeyLocator`` re-reads the text just far enough to map each key
path, e.g. ``("rules", 1, "severity")`` or ``("rules", 0, "all_of", 2)``, to the
line that writes it. It expects text that the parser has accepted; on anything it
cannot follow it keeps what it found up to there instead of failing.
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_right
from collections.abc import Sequence

import tomli

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")
_MULTILINE_QUOTES = ('"""', "'''")
# The rest of a string after its opening quote(s), up to and including the closing ones:
# an escape (basic strings) is a backslash and the character after it, whatever it is.
_STRING_REST = {
    '"': re.compile(r'(?:[^"\\\n]|\\.)*"', re.DOTALL),
    "'": re.compile(r"[^'\n]*'"),
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL),
    "'''": re.compile(r"(?:[^']|'(?!''))*'''"),
}


class _ScanError(Exception):
    """The text is not TOML this scanner can follow."""


class KeyLocator:
    """Maps TOML key paths to the line (1-based) where they are written."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        with contextlib.suppress(_ScanError, RecursionError):
            _Scanner(text, self._lines).document()

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest parent that is written, or None."""
        for end in range(len(path), 0, -1):
            line = self._lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class _Scanner:
    """A small recursive-descent reader that records where each key path starts."""

    def __init__(self, text: str, found: dict[KeyPath, int]) -> None:
        self.text = text
        self.pos = 0
        self.found = found
        self.line_starts = [0, *(match.end() for match in re.finditer("\n", text))]
        self.table: KeyPath = ()
        self.array_counts: dict[KeyPath, int] = {}

    def document(self) -> None:
        while self.skip_blank():
            if self.text.startswith("[[", self.pos):
                self.header(array=True)
            elif self.peek() == "[":
                self.header(array=False)
            else:
                self.pair(self.table)

    def header(self, *, array: bool) -> None:
        line = self.line()
        self.pos += 2 if array else 1
        keys = self.dotted_key()
        self.expect("]]" if array else "]")
        self.table = self.resolve(keys, array=array)
        for end in range(1, len(self.table) + 1):
            self.record(self.table[:end], line)

    def resolve(self, keys: list[str], *, array: bool) -> KeyPath:
        """Turn header keys into a path, indexing into arrays of tables."""
        path: KeyPath = ()
        for position, key in enumerate(keys):
            path = (*path, key)
            if array and position == len(keys) - 1:
                self.array_counts[path] = self.array_counts.get(path, -1) + 1
            if path in self.array_counts:
                path = (*path, self.array_counts[path])
        return path

    def pair(self, base: KeyPath) -> None:
        line = self.line()
        path = base
        for key in self.dotted_key():
            path = (*path, key)
            self.record(path, line)
        self.skip_space()
        self.expect("=")
        self.value(path)

    def dotted_key(self) -> list[str]:
        keys = [self.simple_key()]
        self.skip_space()
        while self.peek() == ".":
            self.pos += 1
            keys.append(self.simple_key())
            self.skip_space()
        return keys

    def simple_key(self) -> str:
        self.skip_space()
        if self.peek() in ('"', "'"):
            return _decode_key(self.string())
        match = _BARE_KEY.match(self.text, self.pos)
        if match is None:
            raise _ScanError
        self.pos = match.end()
        return match.group()

    def value(self, path: KeyPath) -> None:
        self.skip_space()
        char = self.peek()
        if char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        elif char in ('"', "'"):
            self.string()
        else:
            self.scalar()

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while self.skip_blank() and self.peek() != "]":
            self.record((*path, index), self.line())
            self.value((*path, index))
            index += 1
            self.separator("]")
        self.expect("]")

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while self.skip_blank() and self.peek() != "}":
            self.pair(path)
            self.separator("}")
        self.expect("}")

    def separator(self, closing: str) -> None:
        self.skip_blank()
        if self.peek() == ",":
            self.pos += 1
        elif self.peek() != closing:
            raise _ScanError

    def scalar(self) -> None:
        match = _SCALAR_END.search(self.text, self.pos)
        end = match.start() if match else len(self.text)
        if end == self.pos:
            raise _ScanError
        self.pos = end

    def string(self) -> str:
        """Skip a string of any of the four kinds and return it as written."""
        start = self.pos
        quotes = self.text[start : start + 3]
        if quotes in _MULTILINE_QUOTES:
            self.pos = self.closing(quotes, start + 3) + 3
            for _ in range(2):  # the content itself may end with up to two quotes
                if self.peek() == quotes[0]:
                    self.pos += 1
        else:
            self.pos = self.closing(quotes[0], start + 1) + 1
        return self.text[start : self.pos]

    def closing(self, quote: str, start: int) -> int:
        """Offset of the unescaped ``quote`` that ends a string begun before ``start`` (one
        regular expression, not a loop per character: a config's strings are most of it)."""
        match = _STRING_REST[quote].match(self.text, start)
        if match is None:
            raise _ScanError
        return match.end() - len(quote)

    def skip_space(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def skip_blank(self) -> bool:
        """Skip whitespace, newlines and comments; False at the end of the text."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "#":
                newline = self.text.find("\n", self.pos)
                self.pos = len(self.text) if newline < 0 else newline
            elif char in " \t\r\n":
                self.pos += 1
            else:
                return True
        return False

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise _ScanError
        self.pos += len(token)

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def line(self) -> int:
        return bisect_right(self.line_starts, self.pos)

    def record(self, path: KeyPath, line: int) -> None:
        self.found.setdefault(path, line)


def _decode_key(written: str) -> str:
    """The value of a quoted key; basic strings may hold escapes, so let the parser read them."""
    if written.startswith("'") or "\\" not in written:
        return written[1:-1]
    try:
        return str(tomli.loads(f"k = {written}")["k"])
    except tomli.TOMLDecodeError as error:
        raise _ScanError from error
