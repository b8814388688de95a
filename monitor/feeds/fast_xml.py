"""The fast path for well-formed RSS 2.0, RSS 1.0 and Atom 1.0: lxml, then feedparser's rules.

feedparser costs milliseconds per document (SAX events through Python handlers, deep
copies); lxml builds the tree in a tenth of that. :func:`fast_parse` walks the tree and
applies, element by element, what feedparser's handlers do to the fields a
:class:`RawEntry` keeps (which title wins, when a description becomes content, when a
guid is the link, how an author is joined, dates by feedparser's own date parser), giving
the same feed and entry dictionaries feedparser would. It declines (returns None, and
feedparser reads the document) whenever it is not sure: an encoding other than UTF-8, a
DOCTYPE, malformed XML, xml:base, XHTML or base64 content, markup inside a text element,
or any element feedparser handles that is not in the short list below. ``bench.parse_equivalence``
checks the outcome against feedparser over the whole feed corpus.

The lxml parser never expands entities, never touches the network and keeps libxml2's
size limits (``huge_tree`` off); the fetcher's body cap applies before it.
"""

from __future__ import annotations

import re
from typing import Final

from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from monitor.feeds.fast_entries import walk_entry
from monitor.feeds.fast_walk import (
    HANDLED,
    RDF,
    UnsureError,
    Walk,
    attributes,
    check_children,
    href_of,
    keep_title,
    known_prefix,
    unhandled,
    xml_name,
)
from monitor.feeds.feed_dicts import parsed_feed
from monitor.feeds.http_hints import media_type
from monitor.records import ParsedFeed

__all__ = ["fast_parse"]

_ATOM: Final = "http://www.w3.org/2005/Atom"
_RSS10: Final = "http://purl.org/rss/1.0/"
# Namespaces whose declaration sets feedparser's version before the root element does.
_VERSION_NAMESPACES: Final = frozenset(
    {_ATOM.lower(), _RSS10, "http://my.netscape.com/rdf/simple/0.9/"}
)
_XMLNS: Final = re.compile(rb"xmlns(?::([\w.\-]+))?\s*=\s*([\"'])(.*?)\2")
_XML_TYPES: Final = frozenset(
    {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml",
     "application/rdf+xml"}
)  # fmt: skip
_UTF8_DECLARATION: Final = re.compile(
    rb"\A<\?xml\s+version\s*=\s*[\"']1\.0[\"']"
    rb"(?:\s+encoding\s*=\s*[\"']utf-?8[\"'])?(?:\s+standalone\s*=\s*[\"'](?:yes|no)[\"'])?\s*\?>",
    re.IGNORECASE,
)
_FEED_KEYS: Final = frozenset({"title", "link", "links"})
_PARSER: Final = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
    remove_comments=True, remove_pis=True, strip_cdata=True, recover=False,
)  # fmt: skip


def fast_parse(
    body: bytes, content_type: str | None, url: str, max_entries: int
) -> ParsedFeed | None:
    """``body`` read as feedparser would read it, or None when only feedparser can say."""
    if not _plain_utf8(body, content_type):
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.getroottree().docinfo.internalDTD is not None:  # a DOCTYPE past the sniffed head
        return None
    try:
        _check_declarations(body)
        return _walk_document(root, url, max_entries)
    except (UnsureError, RecursionError):
        return None


def _plain_utf8(body: bytes, content_type: str | None) -> bool:
    """UTF-8 declared (or implied), valid, without DOCTYPE: decoded alike by both paths."""
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
        if charset not in ("utf-8", "utf8") or media_type(content_type) not in _XML_TYPES:
            return False
    head = body.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if head.startswith(b"<?xml") and not _UTF8_DECLARATION.match(head):
        return False
    if b"<!DOCTYPE" in body[:4096] or not head.startswith(b"<"):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- names and values as feedparser sees them ----------------------------------------------------


def _check_declarations(body: bytes) -> None:
    """Each prefix bound to one namespace, each unknown namespace to one prefix, in the
    whole document: then an element's own prefix is the one feedparser names it by."""
    uris: dict[bytes, set[bytes]] = {}
    prefixes: dict[bytes, set[bytes]] = {}
    for prefix, _quote, uri in _XMLNS.findall(body):
        uris.setdefault(prefix, set()).add(uri)
        prefixes.setdefault(uri, set()).add(prefix)
    if any(len(bound) > 1 for prefix, bound in uris.items() if prefix):
        raise UnsureError("a prefix bound to several namespaces")
    for uri, bound in prefixes.items():
        if len(bound) > 1 and known_prefix(uri.decode("utf-8", "replace")) is None:
            raise UnsureError("a namespace under several prefixes")


def _walk_document(root: etree._Element, url: str, max_entries: int) -> ParsedFeed:
    walk = Walk(max_entries, base=_root_base(root))
    version = _version(root)
    if version.startswith("rss") and version != "rss10":
        channels = [child for child in root if xml_name(child) == "channel"]
        if len(channels) != 1 or len(root) != 1:
            raise UnsureError("not one channel")
        _walk_feed(channels[0], 2, walk)
    elif version == "rss10":
        _walk_rdf(root, walk)
    else:
        _walk_feed(root, 1, walk)
    return parsed_feed(version, walk.feed, walk.entries, url, None)


def _root_base(root: etree._Element) -> str:
    """feedparser's base URI: the root's xml:base when it is an absolute http(s) URL that
    stays itself on every element below (no base: none; anything else: feedparser)."""
    base = attributes(root, root=True).get("base")
    if base is None:
        return ""
    absolute = str(_urljoin("", base))
    safe = make_safe_absolute_uri(absolute, absolute)
    if not absolute.startswith(("http://", "https://")) or safe != absolute:
        raise UnsureError("an xml:base feedparser may read otherwise")
    return absolute


def _version(root: etree._Element) -> str:
    declared = {uri.lower() for uri in root.nsmap.values()} & _VERSION_NAMESPACES
    tag = etree.QName(root)
    if tag.namespace is None and tag.localname == "rss" and declared <= {_ATOM.lower()}:
        version = attributes(root, root=True).get("version", "")
        known = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
        return known.get(version) or ("rss20" if version.startswith("2.") else "rss")
    if (tag.namespace, tag.localname) == (_ATOM, "feed") and declared == {_ATOM.lower()}:
        return "atom10"
    if (tag.namespace, tag.localname) == (RDF, "RDF") and declared == {_RSS10}:
        return "rss10"
    raise UnsureError("not RSS 2.0, RSS 1.0 or Atom 1.0")


def _walk_rdf(root: etree._Element, walk: Walk) -> None:
    """RSS 1.0: channel, then items beside it (image and textinput there change nothing)."""
    for child in root:
        name = xml_name(child)
        if name == "channel":
            _walk_feed(child, 2, walk)
        elif name == "item":
            walk_entry(child, 2, walk)
        elif name not in ("image", "textinput"):
            unhandled(child, name, frozenset(), lambda key, value: None)


def _walk_feed(container: etree._Element, depth: int, walk: Walk) -> None:
    if {"lastmod", "href"} & attributes(container, root=depth == 1).keys():
        raise UnsureError("CDF attributes")
    for child in container:
        name = xml_name(child)
        if name in ("item", "entry"):
            walk_entry(child, depth + 1, walk)
        else:
            _feed_child(child, name, depth + 1, walk)


def _feed_child(element: etree._Element, name: str, depth: int, walk: Walk) -> None:
    if name in ("title", "dc_title"):
        keep_title(element, depth, walk, lambda v: walk.feed.__setitem__("title", v), lock=True)
    elif name == "link":
        _feed_link(element, walk)
    elif name in ("description", "summary", "dc_description", "itunes_summary"):
        _feed_summary(element, name, walk)
    elif name in ("content", "content_encoded"):
        raise UnsureError("content outside entries")
    elif name in ("image", "textinput"):
        _feed_box(element, name, walk)
    elif name in _FEED_IGNORED:
        _ignored_children(element, walk)
    elif name in HANDLED:
        raise UnsureError(f"feed element {name}")
    else:
        unhandled(element, name, _FEED_KEYS, walk.feed.__setitem__)


_FEED_IGNORED: Final = frozenset(
    {"language", "dc_language", "rights", "copyright", "dc_rights", "generator", "id", "guid",
     "subtitle", "tagline", "updated", "modified", "lastbuilddate", "pubdate", "published",
     "dc_date", "category", "dc_subject", "author", "managingeditor", "webmaster",
     "dc_creator", "dc_publisher", "cloud", "media_thumbnail", "media_credit",
     "media_rating", "media_restriction", "media_license", "contributor", "itunes_author",
     "itunes_subtitle", "itunes_image", "itunes_link", "itunes_explicit", "itunes_block",
     "itunes_keywords", "itunes_category", "itunes_owner"}
)  # fmt: skip
_FEED_IGNORED_CHILDREN: Final = frozenset(
    {"name", "email", "uri", "url", "homepage", "itunes_name", "itunes_email", "itunes_category"}
)
_BOX_CHILDREN: Final = {
    "image": frozenset({"title", "url", "link", "width", "height", "description"}),
    "textinput": frozenset({"title", "description", "name", "link"}),
}


def _ignored_children(element: etree._Element, walk: Walk) -> None:
    """Children of a feed-level element whose value we do not read: the usual ones, and
    unhandled ones (Blogger's gd:image in an author), which feedparser files under the feed."""
    for child in element:
        name = xml_name(child)
        if name in HANDLED:
            check_children(child, frozenset())
            if name not in _FEED_IGNORED_CHILDREN:
                raise UnsureError(f"{name} inside {xml_name(element)}")
        else:
            unhandled(child, name, _FEED_KEYS, walk.feed.__setitem__)


def _feed_box(element: etree._Element, name: str, walk: Walk) -> None:
    """``<image>``/``<textinput>``: their titles are theirs, and either way the next
    feed-level title is kept (feedparser resets its title lock at the box)."""
    check_children(element, _BOX_CHILDREN[name])
    walk.title_depth = -1


def _feed_link(element: etree._Element, walk: Walk) -> None:
    attrs = attributes(element)
    rel = attrs.get("rel", "alternate")
    href = href_of(attrs)
    links = walk.feed.setdefault("links", [])
    assert isinstance(links, list)
    if href is None and rel in ("hub", "self"):
        raise UnsureError("hub or self link without href")
    if href is not None:
        links.append({"rel": rel, "href": walk.resolve(href)})
        check_children(element, frozenset())
    else:
        links.append({"rel": rel})


def _feed_summary(element: etree._Element, name: str, walk: Walk) -> None:
    if "summary" in walk.feed and not walk.has_content:
        raise UnsureError("a second feed summary")  # feedparser reads it as content
    check_children(element, frozenset())
    if name in ("summary", "itunes_summary"):
        walk.feed["summary"] = ""
