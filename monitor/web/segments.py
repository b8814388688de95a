"""Text cut into runs for marking, and links safe to make into hrefs.

A field's text is split at the spans where matched terms were found, so the template
wraps marked runs in ``<mark>`` and escapes every run alike; no markup is ever built
from feed text. A link becomes an ``href`` only when it is a plain http(s) URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

_WEB_LINK = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}")

# (text, marked): a field cut into runs, marked where a matched term was found.
Segments = tuple[tuple[str, bool], ...]


def segments(text: str, spans: Sequence[tuple[int, int]], limit: int | None) -> Segments:
    """``text`` (cut at ``limit`` characters) in runs, marked inside the merged spans."""
    end_of_text = len(text) if limit is None else min(len(text), limit)
    runs: list[tuple[str, bool]] = []
    last = 0
    for span_start, span_end in _merged(spans):
        start, end = max(span_start, last), min(span_end, end_of_text)
        if start >= end:
            continue
        runs += [(text[last:start], False), (text[start:end], True)]
        last = end
    runs.append((text[last:end_of_text], False))
    if end_of_text < len(text):
        runs.append(("…", False))
    return tuple(run for run in runs if run[0])


def _merged(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def web_link(url: str) -> str | None:
    """``url`` if it is a plain http(s) URL with a host, else None (``javascript:``,
    ``data:``, relative or control characters are never made into links)."""
    if not _WEB_LINK.fullmatch(url):
        return None
    try:
        return url if urlsplit(url).hostname else None
    except ValueError:
        return None


def language_attribute(language: str) -> str | None:
    """``language`` if it has a language tag's shape (BCP 47's, loosely: "ar", "zh-Hant")
    and so may stand in a ``lang`` attribute, else None."""
    return language if _LANGUAGE_TAG.fullmatch(language) else None
