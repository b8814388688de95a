"""Explanations as text: the checks of a rule as a tree, the article with its hits marked.

Pure string formatting for ``wirewatch rules try`` and failed rule examples. With
``color`` the hits are bold on a yellow background (ANSI), otherwise in
[brackets]; control characters in the article text are shown as ``?`` so a
hostile text cannot move the cursor of the terminal it is shown in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rules.results import Check, Explanation, Hit

_MARK = ("\x1b[1;30;43m", "\x1b[0m")
_PLAIN_MARK = ("[", "]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MAX_SHOWN_HITS = 5  # per check; the rest are counted


def render_explanation(
    explanation: Explanation, fields: Mapping[str, str], *, color: bool = False
) -> str:
    """A rule's decision: verdict, every check as a tree, and the fields with hits marked."""
    lines = [_verdict(explanation)]
    lines += render_checks(explanation.checks, indent=1)
    hits = explanation.match.hits if explanation.match else _all_hits(explanation.checks)
    for name, text in fields.items():
        if text:
            lines.append(f"  {name}: {highlight(text, hits, name, color=color)}")
    return "\n".join(lines)


def render_checks(checks: Iterable[Check], indent: int = 0) -> list[str]:
    lines = []
    for check in checks:
        mark = "✓" if check.passed else "✗"
        found = _hits_text(check.hits)
        detail = f" ({check.detail})" if check.detail else ""
        bare = not (check.children or check.detail)
        summary = f": {found}" if found else (": no hit" if bare else "")
        lines.append(f"{'  ' * indent}{mark} {check.label}{summary}{detail}")
        lines += render_checks(check.children, indent + 1)
    return lines


def highlight(text: str, hits: Iterable[Hit], field: str, *, color: bool = False) -> str:
    """``text`` with the spans of ``hits`` in ``field`` marked (overlaps merged)."""
    opening, closing = _MARK if color else _PLAIN_MARK
    spans = _merged(sorted((hit.start, hit.end) for hit in hits if hit.field == field))
    pieces, last = [], 0
    for start, end in spans:
        pieces += [_safe(text[last:start]), opening, _safe(text[start:end]), closing]
        last = end
    pieces.append(_safe(text[last:]))
    return "".join(pieces)


def _verdict(explanation: Explanation) -> str:
    if explanation.match is not None:
        match = explanation.match
        score = f", score {match.score:g}" if match.score is not None else ""
        return f"{explanation.rule}: FIRES (severity {match.severity}{score})"
    return f"{explanation.rule}: does not fire"


def _hits_text(hits: tuple[Hit, ...]) -> str:
    shown = [_hit_text(hit) for hit in hits[:MAX_SHOWN_HITS]]
    more = len(hits) - MAX_SHOWN_HITS
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _hit_text(hit: Hit) -> str:
    fuzzy = f" ≈{hit.similarity:g}" if hit.similarity is not None else ""
    return f"{_safe(hit.term)}{fuzzy} ({hit.field} {hit.start}-{hit.end})"


def _all_hits(checks: Iterable[Check]) -> list[Hit]:
    hits: list[Hit] = []
    for check in checks:
        hits += check.hits
        hits += _all_hits(check.children)
    return hits


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _safe(text: str) -> str:
    return _CONTROL.sub("?", text)
