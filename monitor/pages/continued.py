"""An article body split over several containers of the same kind (advertising slots
between them): trafilatura keeps the first; the rest are found by the first's markup."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

GROWTH = 1.3  # the other containers must add this much, or the first one was the body
_ANCHOR_CHARS = 60  # a first paragraph this long identifies its element unambiguously
_SPACE = re.compile(r"\s+")


def continued_body(tree: HtmlElement, text: str) -> str | None:
    """The paragraphs of every container like the one holding ``text``'s first paragraph
    (same tag, same class), in page order — when there are several and together they
    hold markedly more than ``text``; else None."""
    first = text.split("\n", 1)[0].strip()
    if len(first) < _ANCHOR_CHARS:
        return None
    twins = _containers_like(tree, first)
    if twins is None:
        return None
    joined = "\n".join(para for twin in twins for para in _paragraphs(twin))
    return joined if len(joined) > len(text) * GROWTH else None


def _containers_like(tree: HtmlElement, first: str) -> list[HtmlElement] | None:
    """The classed parent of the ``<p>`` that starts with ``first`` and its twins (same
    tag, same class), in page order, when there are several; else None."""
    anchor = first[:_ANCHOR_CHARS]
    for para in tree.iter("p"):
        if _clean(para.text_content()).startswith(anchor):
            parent = para.getparent()
            if parent is None or not parent.get("class"):
                return None
            twins = [el for el in tree.iter(parent.tag) if el.get("class") == parent.get("class")]
            return twins if len(twins) > 1 else None
    return None


def _paragraphs(container: HtmlElement) -> list[str]:
    texts = (_clean(para.text_content()) for para in container.iter("p"))
    return [text for text in texts if text]


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
