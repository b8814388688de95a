"""A site's own ``content_selector``: the text of the elements a CSS selector matches,
without the noise that sits inside article markup (scripts, navigation, asides, captions)."""

from __future__ import annotations

import re

from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError
from lxml.html import HtmlElement

_NOISE = ("script", "style", "noscript", "nav", "aside", "figcaption", "form", "button", "iframe")
_BLOCKS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li blockquote pre section article header footer ul ol dl dd dt"
    " table tr figure main br hr".split()
)
# Runs of white space in the markup's text, line breaks included: a browser shows them as
# one space, and only block elements (and <br>) start a new paragraph.
_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0]+")


class InvalidSelectorError(ValueError):
    """The selector is not valid CSS (lxml.cssselect cannot compile it)."""


def compile_selector(selector: str) -> CSSSelector:
    """The compiled selector; :class:`InvalidSelectorError` when it is not valid CSS."""
    try:
        return CSSSelector(selector, translator="html")
    except SelectorError as err:
        raise InvalidSelectorError(f"invalid CSS selector {selector!r}: {err}") from None


def selected_text(tree: HtmlElement, selector: str) -> str | None:
    """The matched elements' text, one paragraph per line; None when nothing matched (or
    only empty elements did). Nested matches count once. Mutates ``tree``."""
    matched = compile_selector(selector)(tree)
    outermost = [el for el in matched if not any(a in matched for a in el.iterancestors())]
    paragraphs: list[str] = []
    for element in outermost:
        _drop_noise(element)
        paragraphs.extend(_paragraphs(element))
    return "\n".join(paragraphs) or None


def _drop_noise(element: HtmlElement) -> None:
    for noise in element.xpath(" | ".join(f".//{tag}" for tag in _NOISE)):
        noise.drop_tree()


def _paragraphs(element: HtmlElement) -> list[str]:
    """Text split at block elements: a line break before and after each."""
    pieces: list[str] = []
    for event, node in _walk(element):
        pieces.append(_SPACE.sub(" ", node) if event == "text" else "\n")
    lines = (line.strip() for line in "".join(pieces).split("\n"))
    return [line for line in lines if line]


def _walk(element: HtmlElement) -> list[tuple[str, str]]:
    """("text", …) and ("break", "") events in document order, iteratively (deep markup
    must not exhaust the recursion limit)."""
    events: list[tuple[str, str]] = []
    for action, node in etree.iterwalk(element, events=("start", "end")):
        is_block = isinstance(node.tag, str) and node.tag.lower() in _BLOCKS
        if action == "start":
            if is_block:
                events.append(("break", ""))
            if node.text and isinstance(node.tag, str):
                events.append(("text", node.text))
        else:
            if is_block:
                events.append(("break", ""))
            if node.tail and node is not element:
                events.append(("text", node.tail))
    return events
