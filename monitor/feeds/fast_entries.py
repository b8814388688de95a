"""The fast XML path's entries: what feedparser's handlers do to the fields a
:class:`~monitor.records.RawEntry` keeps, element by element (see :mod:`monitor.feeds.fast_xml`)."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from typing import Final

from feedparser.datetimes import _parse_date
from lxml import etree

from monitor.feeds.fast_walk import (
    HANDLED,
    RDF,
    Record,
    UnsureError,
    Walk,
    attributes,
    check_children,
    content_type_of,
    finish,
    href_of,
    keep_title,
    own_text,
    unhandled,
    xml_name,
)

__all__ = ["walk_entry"]

_HTML_TYPES: Final = frozenset({"application/xhtml+xml", "text/html"})
_BROKEN_REF: Final = re.compile("&([A-Za-z0-9_]+);")
# Keys of the entry dictionary the records are built from: an unhandled element that
# feedparser would store under one of these names is a reason to let feedparser decide.
_ENTRY_KEYS: Final = frozenset(
    {"id", "title", "link", "links", "summary", "content", "published", "published_parsed",
     "updated", "updated_parsed", "tags", "author", "authors", "author_detail", "guidislink"}
)  # fmt: skip
_EMAIL: Final = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"""
    r"""([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)


def walk_entry(element: etree._Element, depth: int, walk: Walk) -> None:
    walk.title_depth = -1
    attrs = attributes(element)
    if {"lastmod", "href"} & attrs.keys():
        raise UnsureError("CDF attributes")
    if len(walk.entries) >= walk.max_entries:
        walk.has_content = False
        return
    entry: Record = {}
    walk.entries.append(entry)
    walk.depths = {}
    about = element.get(f"{{{RDF}}}about")
    if about:
        entry["id"] = about
    for child in element:
        _entry_child(child, xml_name(child), depth + 1, entry, walk)
    walk.has_content = False


def _entry_child(element: etree._Element, name: str, depth: int, entry: Record, walk: Walk) -> None:
    handler = _ENTRY_HANDLERS.get(name)
    if handler is not None:
        handler(element, name, depth, entry, walk)
    elif name in _ENTRY_IGNORED:
        check_children(element, frozenset())
    elif name in ("media_content", "media_group"):
        for child in element:
            _entry_child(child, xml_name(child), depth + 1, entry, walk)
    elif name in HANDLED:
        raise UnsureError(f"entry element {name}")
    else:
        unhandled(
            element,
            name,
            _ENTRY_KEYS,
            lambda key, value: walk.store(entry, key, value, depth=depth),
        )


_ENTRY_IGNORED: Final = frozenset(
    {"enclosure", "media_thumbnail", "media_credit", "media_rating", "media_restriction",
     "media_license", "rights", "copyright", "dc_rights", "dc_language", "language",
     "created", "dcterms_created", "expirationdate", "itunes_subtitle", "itunes_image",
     "itunes_link", "itunes_explicit", "itunes_block", "subtitle", "tagline"}
)  # fmt: skip


def _entry_title(element: etree._Element, name: str, depth: int, entry: Record, walk: Walk) -> None:
    keep = functools.partial(walk.store, entry, "title", depth=depth)
    keep_title(element, depth, walk, keep, lock=name != "media_title")


def _entry_link(element: etree._Element, name: str, depth: int, entry: Record, walk: Walk) -> None:
    attrs = attributes(element)
    rel = attrs.get("rel", "alternate")
    kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html")
    href = href_of(attrs)
    if href is not None:
        check_children(element, frozenset())
        if rel == "alternate" and map_type(kind) in _HTML_TYPES:
            entry["link"] = walk.resolve(href)
        return
    value = own_text(element).strip()
    value = finish(walk.resolve(value) if value else value)
    entry["link"] = _BROKEN_REF.sub(r"&\g<1>", value.replace("&amp;", "&"))


def map_type(kind: str) -> str:
    kind = kind.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html",
            "xhtml": "application/xhtml+xml"}.get(kind, kind)  # fmt: skip


def _entry_id(element: etree._Element, name: str, depth: int, entry: Record, walk: Walk) -> None:
    is_link = attributes(element).get("ispermalink", "true") == "true"
    value = own_text(element).strip()
    if value and is_link:
        value = walk.resolve(value)
    value = finish(value)
    walk.store(entry, "id", value, depth=depth)
    if is_link:
        entry.setdefault("link", value)


def _entry_summary(
    element: etree._Element, name: str, depth: int, entry: Record, walk: Walk
) -> None:
    if "summary" in entry and not walk.has_content:
        raise UnsureError("a second summary")  # feedparser reads it as content
    default = "text/plain" if name in ("summary", "itunes_summary") else "text/html"
    content_type_of(attributes(element), default)
    walk.store(entry, "summary", finish(own_text(element).strip()), depth=depth)


def _entry_content(
    element: etree._Element, name: str, depth: int, entry: Record, walk: Walk
) -> None:
    walk.has_content = True
    attrs = attributes(element)
    content_type_of(attrs, "text/plain" if name == "content" else "text/html")
    value = finish(own_text(element).strip())
    contents = entry.setdefault("content", [])
    assert isinstance(contents, list)
    contents.append({"value": value})
    entry.setdefault("summary", value)


def _entry_date(element: etree._Element, name: str, depth: int, entry: Record, walk: Walk) -> None:
    key = "published" if name in _PUBLISHED else "updated"
    value = finish(own_text(element).strip())
    walk.store(entry, key, value, depth=depth)
    entry[f"{key}_parsed"] = _date(value)


_PUBLISHED: Final = frozenset({"published", "pubdate", "issued", "dcterms_issued"})


def _date(value: str) -> time.struct_time | None:
    parsed: time.struct_time | None = _parse_date(value)
    return parsed


def _entry_category(
    element: etree._Element, name: str, depth: int, entry: Record, walk: Walk
) -> None:
    attrs = attributes(element)
    if name == "media_category":
        attrs.setdefault("scheme", "http://search.yahoo.com/mrss/category_schema")
    tags = entry.setdefault("tags", [])
    assert isinstance(tags, list)
    if name == "itunes_category":
        _add_tag(tags, attrs.get("text"), _ITUNES, None)
    else:
        scheme = attrs.get("scheme", attrs.get("domain"))
        _add_tag(tags, attrs.get("term"), scheme, attrs.get("label"))
    value = finish(own_text(element).strip())
    if value and tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    elif value:
        _add_tag(tags, value, None, None)


def _entry_keywords(
    element: etree._Element, name: str, depth: int, entry: Record, walk: Walk
) -> None:
    tags = entry.setdefault("tags", [])
    assert isinstance(tags, list)
    for term in finish(own_text(element).strip()).split(","):
        if term.strip():
            _add_tag(tags, term.strip(), _ITUNES, None)


_ITUNES: Final = "http://www.itunes.com/"


def _add_tag(tags: list[Record], term: str | None, scheme: str | None, label: str | None) -> None:
    if term or scheme or label:
        tag: Record = {"term": term, "scheme": scheme, "label": label}
        if tag not in tags:
            tags.append(tag)


def _entry_author(
    element: etree._Element, name: str, depth: int, entry: Record, walk: Walk
) -> None:
    authors = entry.setdefault("authors", [])
    assert isinstance(authors, list)
    authors.append({})
    for child in element:
        _author_part(child, entry, authors, walk)
    text = "".join([element.text or ""] + [child.tail or "" for child in element])
    walk.store(entry, "author", finish(text.strip()), depth=depth)
    _sync_author(entry)


def _author_part(element: etree._Element, entry: Record, authors: list[Record], walk: Walk) -> None:
    name = xml_name(element)
    if name not in HANDLED:  # e.g. Blogger's gd:image: kept apart, nothing to the author
        if element.attrib and (element.text or "").strip():
            raise UnsureError(f"text in {name} inside an author")  # it would join the author
        unhandled(element, name, _ENTRY_KEYS, lambda key, value: None)
        return
    value = own_text(element).strip()
    if name in ("uri", "url", "homepage"):
        key, value = "href", finish(walk.resolve(value) if value else value)
    elif name in ("name", "email", "itunes_name", "itunes_email"):
        key = name.removeprefix("itunes_")
    else:
        raise UnsureError(f"{name} inside an author")
    detail = entry.setdefault("author_detail", {})
    assert isinstance(detail, dict)
    detail[key] = value
    _sync_author(entry)
    authors[-1][key] = value


def _sync_author(entry: Record) -> None:
    """feedparser's ``_sync_author_detail``, for the ``author`` it leaves in the entry."""
    authors = entry.get("authors")
    detail: Record = authors[-1] if isinstance(authors, list) and authors else {}
    if detail:
        name, email = detail.get("name"), detail.get("email")
        if name and email:
            entry["author"] = f"{name} ({email})"
        elif name or email:
            entry["author"] = name or email
        return
    author = entry.get("author")
    if not isinstance(author, str) or not author:
        return
    match = _EMAIL.search(author)
    if match:
        email = match.group(0)
        for junk in (email, "()", "<>", "&lt;&gt;"):
            author = author.replace(junk, "")
        author = author.strip().removeprefix("(").removesuffix(")").strip()
        detail["email"] = email
    if author:
        detail["name"] = author


def _entry_source(
    element: etree._Element, name: str, depth: int, entry: Record, walk: Walk
) -> None:
    check_children(element, frozenset())
    walk.title_depth = -1


_Handler = Callable[[etree._Element, str, int, Record, Walk], None]
_ENTRY_HANDLERS: Final[dict[str, _Handler]] = {
    "title": _entry_title, "dc_title": _entry_title,
    "link": _entry_link,
    "guid": _entry_id, "id": _entry_id,
    "description": _entry_summary, "summary": _entry_summary, "dc_description": _entry_summary,
    "content": _entry_content, "content_encoded": _entry_content,
    "published": _entry_date, "pubdate": _entry_date, "issued": _entry_date,
    "dcterms_issued": _entry_date, "updated": _entry_date, "modified": _entry_date,
    "lastbuilddate": _entry_date, "dc_date": _entry_date, "dcterms_modified": _entry_date,
    "category": _entry_category, "dc_subject": _entry_category, "keywords": _entry_category,
    "media_category": _entry_category, "itunes_category": _entry_category,
    "itunes_keywords": _entry_keywords,
    "media_title": _entry_title, "media_description": _entry_summary,
    "itunes_summary": _entry_summary, "itunes_author": _entry_author,
    "author": _entry_author, "dc_creator": _entry_author, "dc_author": _entry_author,
    "source": _entry_source,
}  # fmt: skip
