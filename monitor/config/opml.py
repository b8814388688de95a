"""OPML, the feed list every reader exports: read into feed entries, written from feeds.

Reading (``wirewatch feeds import``): an outline with an ``xmlUrl`` is a feed, named by
its ``title`` or ``text`` (either may be missing); the outlines around it are folders,
and its folder path becomes its tags (``Middle East/Syria`` gives both), with the
entries of its own ``category`` attribute after them (OPML 2.0: comma-separated,
slash-delimited). The file is hostile: it is parsed with defusedxml, which refuses a
DTD before anything is expanded (billion laughs, external entities); an outline that is
not a feed, or whose ``xmlUrl`` is not an http(s) URL, is reported and skipped
(``feed://`` and ``feed:https://`` are read as the http(s) URLs they stand for). A
feed listed in several folders (Feedly and Inoreader export it once per folder) is one
feed with the tags of every folder.

Writing (``wirewatch feeds export``): OPML 2.0, a folder per first tag (feeds without
tags at the top), further tags in ``category``, so reading it back gives the same tags
(but that "," and "/" in a later tag, which ``category`` cannot hold, become spaces).
Credentials written into a URL are left out: its ``user:password@`` and every query
parameter named like a credential (``api_key``, ``token``, ``sig``, …), as the project's
one redaction detects them (docs/decisions/0024-one-redaction.md); such a feed will need
its credential again after an import, and ``feeds export`` says how many do.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from monitor.config.feeds import FeedSettings
from notifiers import is_credential_name, url_secrets

MAX_OPML_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 32  # folders nested deeper are reported, not followed


class OpmlError(ValueError):
    """The file cannot be read as OPML at all (nothing of it is used)."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline: its URL, name and tags, and where it sits ("Folder/Sub")."""

    url: str
    name: str
    tags: tuple[str, ...]
    folder: str = ""


@dataclass(slots=True)
class OpmlList:
    """What a file holds: its feeds in document order, each outline skipped (why), and
    each feed listed again (its tags merged into the first listing)."""

    feeds: list[OpmlFeed] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)

    positions: dict[str, int] = field(default_factory=dict, repr=False)  # url → index

    def add(self, feed: OpmlFeed) -> None:
        index = self.positions.get(feed.url)
        if index is None:
            self.positions[feed.url] = len(self.feeds)
            self.feeds.append(feed)
            return
        first = self.feeds[index]
        tags = tuple(dict.fromkeys((*first.tags, *feed.tags)))
        self.feeds[index] = OpmlFeed(first.url, first.name or feed.name, tags, first.folder)
        where = feed.folder or "the top level"
        self.repeated.append(f"{feed.url}: listed again in {where!r}, tags merged")


def read_opml(data: bytes) -> OpmlList:
    """The feeds of an OPML document; :class:`OpmlError` when it is not one."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"larger than {MAX_OPML_BYTES // (1024 * 1024)} MiB")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as err:
        raise OpmlError(
            f"refused: {type(err).__name__} (DTDs and entities are not allowed)"
        ) from None
    except ET.ParseError as err:
        raise OpmlError(f"not well-formed XML: {err}") from None
    body = root.find("body") if _local(root.tag) == "opml" else None
    if body is None:
        raise OpmlError("not an OPML document (no <opml> with a <body>)")
    found = OpmlList()
    for outline, folders in _outlines(body, (), found):
        _read_outline(outline, folders, found)
    return found


def _outlines(
    parent: ET.Element, folders: tuple[str, ...], found: OpmlList
) -> Iterator[tuple[ET.Element, tuple[str, ...]]]:
    for outline in parent:
        if _local(outline.tag) != "outline":
            continue
        if outline.get("xmlUrl") is not None or len(outline) == 0:
            yield outline, folders
        elif len(folders) >= MAX_DEPTH:
            found.invalid.append(f"folder {_label(outline)!r}: nested deeper than {MAX_DEPTH}")
        else:
            yield from _outlines(outline, (*folders, _label(outline)), found)


def _read_outline(outline: ET.Element, folders: tuple[str, ...], found: OpmlList) -> None:
    url = _http_form((outline.get("xmlUrl") or "").strip())
    name = _clean(outline.get("title") or outline.get("text") or "")
    where = "/".join(folders)
    label = f"outline {name or '(untitled)'!r}" + (f" in {where!r}" if where else "")
    problem = _url_problem(url)
    if problem:
        found.invalid.append(f"{label}: {problem}")
        return
    tags = tuple(dict.fromkeys(tag for tag in (*folders, *_categories(outline)) if tag))
    found.add(OpmlFeed(url=url, name=name, tags=tags, folder=where))


def _http_form(url: str) -> str:
    """``feed://host/x`` as ``http://host/x``, ``feed:https://host/x`` as ``https://host/x``."""
    lowered = url.lower()
    if lowered.startswith("feed:http://") or lowered.startswith("feed:https://"):
        return url[len("feed:") :]
    if lowered.startswith("feed://"):
        return "http://" + url[len("feed://") :]
    return url


def _url_problem(url: str) -> str:
    if not url:
        return "not a feed (no xmlUrl)"
    shown = url if len(url) <= 200 else url[:200] + "…"
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return "xmlUrl contains control characters"
    if not url.lower().startswith(("http://", "https://")) or not urlsplit(url).hostname:
        return f"xmlUrl {shown!r} is not an http(s) URL"
    return ""


def _categories(outline: ET.Element) -> Iterator[str]:
    for category in (outline.get("category") or "").split(","):
        yield from (_clean(part) for part in category.split("/"))


def _label(outline: ET.Element) -> str:
    return _clean(outline.get("title") or outline.get("text") or "") or "(untitled)"


def _clean(text: str) -> str:
    """One line, no control characters, trimmed: OPML text is hostile."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:300]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def write_opml(feeds: Sequence[FeedSettings], title: str = "wirewatch feeds") -> str:
    """OPML 2.0 of ``feeds``: a folder per first tag, in first-seen order."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.tags:
            first = feed.tags[0]
            if first not in folders:
                folders[first] = ET.SubElement(body, "outline", text=first, title=first)
            parent = folders[first]
        _feed_outline(parent, feed)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _feed_outline(parent: ET.Element, feed: FeedSettings) -> None:
    name = feed.name or without_credentials(feed.url)
    attributes = {
        "type": "rss",
        "text": name,
        "title": name,
        "xmlUrl": without_credentials(feed.url),
    }
    if len(feed.tags) > 1:
        later = (tag.replace(",", " ").replace("/", " ") for tag in feed.tags[1:])
        attributes["category"] = ",".join(later)
    ET.SubElement(parent, "outline", attributes)


def without_credentials(url: str) -> str:
    """``url`` without its user name and password and without the query parameters named
    like a credential: what OPML, a file made to be shared, may carry."""
    if not url_secrets(url):
        return url
    parts = urlsplit(url)
    kept = [pair for pair in parts.query.split("&")
            if pair and not is_credential_name(unquote(pair.partition("=")[0]))]  # fmt: skip
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host, query="&".join(kept)))


def needs_credentials(feed: FeedSettings) -> bool:
    """True when the feed cannot be fetched from its exported entry alone: it has
    ``auth`` or headers, or its URL carries credentials that the export leaves out."""
    return bool(feed.auth or feed.headers or url_secrets(feed.url))
