"""HTML tags stripped and entities decoded before matching, with a map back to the original.

The daemon hands the matcher plain text already, but rule examples, ``rules try``
and badly escaped feeds (``&amp;lt;b&amp;gt;``) do not. Text without ``<`` or
``&`` is returned untouched at no cost. Otherwise every character of the plain
text remembers the span of the original it came from, so a hit inside
``Iran&#39;s`` is still shown over the original characters.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Comments and script/style bodies, then tags (a letter must follow "<", so "a < b" stays
# text), then entities. Bounded lengths keep a hostile document from backtracking.
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style)\b[^>]{0,2000}>.*?(?:</\1\s*>|\Z)"
    r"|</?[A-Za-z][A-Za-z0-9-]{0,30}(?:\s[^<>]{0,2000})?/?>"
    r"|&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};?)",
    re.DOTALL | re.IGNORECASE,
)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
# Tags that sit inside a word's run of text: removing them must not split "<b>Iran</b>'s".
_INLINE = frozenset(
    "a abbr b bdi bdo cite code em font i kbd mark q s small span strong sub sup time u var".split()
)
_MAX_PASSES = 2  # a second pass undoes one level of double escaping


@dataclass(frozen=True, slots=True)
class Plain:
    """Plain text and, per character, the ``[start, end)`` it came from in the original."""

    text: str
    starts: tuple[int, ...] | None = None  # None: the text is the original
    ends: tuple[int, ...] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (``end > start``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def strip_markup(text: str) -> Plain:
    """``text`` without tags, comments or scripts, entities decoded."""
    plain = Plain(text)
    for _ in range(_MAX_PASSES):
        if "<" not in plain.text and "&" not in plain.text:
            break
        plain = _compose(plain, _one_pass(plain.text))
    return plain


def _one_pass(text: str) -> Plain:
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for found in _MARKUP.finditer(text):
        replacement = _replacement(found.group())
        if replacement == found.group():
            continue  # "&B11" is no entity: its characters stay themselves
        pieces.append(text[last : found.start()])
        starts.extend(range(last, found.start()))
        ends.extend(range(last + 1, found.start() + 1))
        pieces.append(replacement)
        starts.extend([found.start()] * len(replacement))
        ends.extend([found.end()] * len(replacement))
        last = found.end()
    pieces.append(text[last:])
    starts.extend(range(last, len(text)))
    ends.extend(range(last + 1, len(text) + 1))
    return Plain("".join(pieces), tuple(starts), tuple(ends))


def _replacement(markup: str) -> str:
    if markup.startswith("&"):
        return html.unescape(markup)
    name = _TAG_NAME.match(markup)
    return "" if name and name.group(1).lower() in _INLINE else " "


def _compose(outer: Plain, inner: Plain) -> Plain:
    """``inner`` was made from ``outer.text``: map its characters to outer's original."""
    if outer.starts is None or outer.ends is None:
        return inner
    assert inner.starts is not None, "a pass always maps"
    assert inner.ends is not None, "a pass always maps"
    starts = tuple(outer.starts[start] for start in inner.starts)
    ends = tuple(outer.ends[end - 1] for end in inner.ends)
    return Plain(inner.text, starts, ends)
