"""The fast XML path's vocabulary: element names, attributes and text as feedparser sees
them, and the parser-wide state its handlers share (see :mod:`monitor.feeds.fast_xml`)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from feedparser.api import StrictFeedParser
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin
from lxml import etree

__all__ = [
    "HANDLED",
    "KNOWN",
    "RDF",
    "Record",
    "UnsureError",
    "Walk",
    "attributes",
    "check_children",
    "content_type_of",
    "finish",
    "href_of",
    "keep_title",
    "known_prefix",
    "own_text",
    "unhandled",
    "xml_name",
]

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
KNOWN: Final = {uri.lower(): prefix.lower() for uri, prefix in _FeedParserMixin.namespaces.items()}
# Element names feedparser has a handler for (``_start_<name>``/``_end_<name>``).
HANDLED: Final = frozenset(
    name.split("_", 2)[2].lower()
    for name in dir(StrictFeedParser)
    if name.startswith(("_start_", "_end_"))
)
TEXT_TYPES: Final = frozenset({"text/plain", "text/html"})

Record = dict[str, object]


class UnsureError(Exception):
    """The document holds something the fast path does not model: feedparser decides."""


def known_prefix(uri: str) -> str | None:
    lower = uri.lower()
    if "backend.userland.com/rss" in lower:
        lower = "http://backend.userland.com/rss"
    return KNOWN.get(lower)


def xml_name(element: etree._Element) -> str:
    """feedparser's key for an element: its namespace's usual prefix and the lower-cased name."""
    tag = element.tag
    if not isinstance(tag, str):  # an entity reference (never made: entities stay unresolved)
        raise UnsureError("an entity node")
    return _tag_name(tag, element.prefix if tag.startswith("{") else None)


@functools.lru_cache(maxsize=4096)
def _tag_name(tag: str, document_prefix: str | None) -> str:
    """The key for a Clark-notation tag (``{uri}local``); the same tags recur in every feed."""
    uri, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    if not uri:
        return local.lower()
    prefix = known_prefix(uri)
    if prefix is None:  # feedparser names it by the document's prefix (unique, as checked)
        prefix = (document_prefix or "").lower()
    return f"{prefix}_{local.lower()}" if prefix else local.lower()


def attributes(element: etree._Element, *, root: bool = False) -> dict[str, str]:
    """Attributes keyed by lower-cased local name (``rel`` and ``type`` values lowered).
    xml:base is understood on the root element alone."""
    found: dict[str, str] = {}
    if not len(element.attrib):
        return found
    for key, value in element.attrib.items():
        local = etree.QName(key).localname.lower()
        if local in found or (local == "base" and not root):
            raise UnsureError("ambiguous or nested base attribute")
        found[local] = value.lower() if local in ("rel", "type") else value
    return found


def own_text(element: etree._Element) -> str:
    """The element's text; markup inside a text element is feedparser's to interpret."""
    if len(element):
        raise UnsureError("markup inside a text element")
    return element.text or ""


def finish(value: str) -> str:
    """What feedparser's ``pop`` does to a text value after stripping it."""
    if value.isascii():  # neither step can change ASCII
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")  # UTF-8 read as Latin-1, undone
    return value.translate(_cp1252)


def content_type_of(attrs: dict[str, str], default: str) -> str:
    kind = attrs.get("type", default).lower()
    kind = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(kind, kind)
    if kind not in TEXT_TYPES or attrs.get("mode") == "base64":
        raise UnsureError(f"content of type {kind}")
    return kind


def href_of(attrs: dict[str, str]) -> str | None:
    return attrs.get("url", attrs.get("uri", attrs.get("href"))) or None


@dataclass
class Walk:
    """feedparser's parser-wide state, as far as it reaches the fields we keep."""

    max_entries: int
    feed: Record = field(default_factory=dict)
    entries: list[Record] = field(default_factory=list)
    base: str = ""  # the root's xml:base, made absolute: feedparser's base URI throughout
    title_depth: int = -1
    has_content: bool = False
    depths: dict[str, int] = field(default_factory=dict)  # the current entry's

    def store(self, record: Record, key: str, value: object, *, depth: int) -> None:
        """An entry value where feedparser keeps the shallowest (then the latest) one."""
        old = self.depths.get(key)
        if old is None or depth <= old:
            self.depths[key] = depth
            record[key] = value

    def resolve(self, uri: str) -> str:
        return str(_urljoin(self.base, uri))


def check_children(element: etree._Element, allowed: frozenset[str]) -> None:
    for child in element:
        if xml_name(child) not in allowed or len(child):
            raise UnsureError(f"{xml_name(child)} inside {xml_name(element)}")


def keep_title(
    element: etree._Element, depth: int, walk: Walk, keep: Callable[[str], None], *, lock: bool
) -> None:
    """The first non-empty title at the shallowest depth wins, as in feedparser (where a
    media:title is kept like a title but locks nothing)."""
    content_type_of(attributes(element), "text/plain")
    value = finish(own_text(element).strip())
    if not -1 < walk.title_depth <= depth:
        keep(value)
    if value and lock:
        walk.title_depth = depth


def unhandled(
    element: etree._Element, name: str, forbidden: frozenset[str],
    keep: Callable[[str, str], None],
) -> None:  # fmt: skip
    """An element feedparser has no handler for: kept under its name (empty when it has
    attributes), its children walked for handled elements."""
    if name in forbidden:
        raise UnsureError(f"unhandled element {name} named like a field")
    if name in _FEED_VALUES and len(element):
        raise UnsureError(f"markup inside {name}")
    for child in element:
        child_name = xml_name(child)
        if child_name in HANDLED:
            raise UnsureError(f"{child_name} inside {name}")
        unhandled(child, child_name, forbidden, keep)
    keep(name, "" if element.attrib else finish((element.text or "").strip()))


# Values feedparser keeps from elements it has no handler for, which we read.
_FEED_VALUES: Final = frozenset({"ttl", "sy_updateperiod", "sy_updatefrequency"})
