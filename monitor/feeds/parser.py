"""Feed documents (RSS, Atom, JSON Feed) to :class:`ParsedFeed`.

CPU-bound, synchronous and pure (bytes in, picklable dataclasses out): the daemon runs
:func:`parse_feed` in a process pool, ``replay`` and tests in a worker thread. Input is
attacker-controlled. So an XML document is first decoded to UTF-8 the way feedparser would
decode it, then every DOCTYPE in its prolog (and with it any entity declarations) is cut
out, and feedparser is only ever handed a byte stream: it can neither expand entities nor
fetch a URL nor open a local file.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

import feedparser
from feedparser.encodings import convert_to_utf8

from monitor.feeds.fast_xml import fast_parse
from monitor.feeds.feed_dicts import absolute, http_url, parsed_feed, text
from monitor.feeds.http_hints import media_type
from monitor.records import ParsedFeed, RawEntry

_JSON_TYPES: Final = frozenset({"application/feed+json", "application/json"})
# The spec's version URLs; also the common slips "http://" and a bare "1.1".
_JSONFEED_VERSION: Final = re.compile(r"(?:https?://jsonfeed\.org/version/)?1(?:\.[01])?/?")
_MAX_WARNING_CHARS: Final = 300
# Byte patterns of UTF-16/32 documents (XML 1.0 appendix F), for sniffing JSON vs XML.
_WIDE_ENCODINGS: Final = (
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\xfe\xff", "utf-16"),
    (b"\xff\xfe", "utf-16"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_UTF8_BOM: Final = b"\xef\xbb\xbf"
# What may precede the root element: whitespace, then a PI, a comment or a DOCTYPE.
_PROLOG_ITEM: Final = re.compile(rb"[ \t\r\n]*(<\?|<!--|<!DOCTYPE)", re.IGNORECASE)
# Inside a DOCTYPE only quotes, brackets, comments and '>' change what a '>' means.
_DOCTYPE_TOKEN: Final = re.compile(rb"[\"'\[\]>]|<!--")


class ParseError(Exception):
    """The document is not a feed we can read."""


def parse_feed(
    body: bytes, *, content_type: str | None = None, url: str = "", max_entries: int = 1000
) -> ParsedFeed:
    """Parse ``body`` as JSON Feed or RSS/Atom; keep at most ``max_entries``.

    Well-formed UTF-8 RSS and Atom take the lxml fast path (:mod:`monitor.feeds.fast_xml`),
    which gives what feedparser would; everything else is read by feedparser.
    Raises :class:`ParseError` for documents that are not feeds or cannot be decoded.
    """
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url, max_entries)
    fast = fast_parse(body, content_type, url, max_entries)
    return fast if fast is not None else parse_with_feedparser(body, content_type, url, max_entries)


# -- encodings and sniffing ------------------------------------------------------------------


def _wide_encoding(body: bytes) -> str | None:
    return next((name for prefix, name in _WIDE_ENCODINGS if body.startswith(prefix)), None)


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    head = body[:64].decode(_wide_encoding(body) or "utf-8", errors="ignore")
    first = head.lstrip("\ufeff \t\r\n")[:1]
    if first in ("{", "<"):
        return first == "{"
    return media_type(content_type) in _JSON_TYPES


def _xml_content_type(content_type: str | None) -> str:
    """The Content-Type to decode by: the server's only when it names a charset.

    Without one the document's own declaration decides (RFC 7303), not RFC 3023's
    us-ascii default for text/xml that feedparser would otherwise apply.
    """
    if content_type and "charset=" in content_type.lower():
        return content_type
    return "application/xml"


def _to_utf8(body: bytes, content_type: str | None) -> tuple[bytes, str]:
    """The document as UTF-8, decoded exactly as feedparser would, and any warning.

    DOCTYPEs must be looked for in this form: in UTF-7, UTF-16 or EBCDIC the bytes of
    "<!DOCTYPE" are something else entirely.
    """
    result: dict[str, object] = {}
    try:
        data = convert_to_utf8({"content-type": _xml_content_type(content_type)}, body, result)
    except (ValueError, LookupError) as exc:  # codecs such as punycode raise UnicodeError
        raise ParseError(f"undecodable document: {type(exc).__name__}") from exc
    if not result.get("encoding"):
        raise ParseError(f"undecodable document: {_bozotext(result)}")
    return bytes(data), _bozotext(result)


# -- JSON Feed -------------------------------------------------------------------------------


def _parse_json_feed(body: bytes, url: str, max_entries: int) -> ParsedFeed:
    try:
        document: object = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"malformed JSON feed: {type(exc).__name__}") from exc
    if not isinstance(document, dict):
        raise ParseError("JSON feed is not an object")
    version = document.get("version")
    if not isinstance(version, str) or not _JSONFEED_VERSION.fullmatch(version.strip()):
        raise ParseError("not a feed: JSON without a jsonfeed.org version")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError("JSON feed has no items list")
    objects = [item for item in items if isinstance(item, dict)]
    skipped = len(items) - len(objects)
    feed_author = _json_author(document)
    return ParsedFeed(
        format="json11" if version.strip().rstrip("/").endswith("1.1") else "json10",
        title=text(document.get("title")) or None,
        entries=tuple(_json_entry(item, feed_author, url) for item in objects[:max_entries]),
        warning=f"skipped {skipped} JSON feed items that are not objects" if skipped else None,
        hub=_json_hub(document.get("hubs"), url),
        self_url=http_url(text(document.get("feed_url")), url),
    )


def _json_hub(hubs: object, base_url: str) -> str | None:
    """The first WebSub hub of a JSON Feed's ``hubs`` list."""
    for hub in hubs if isinstance(hubs, list) else ():
        if isinstance(hub, dict) and text(hub.get("type")).lower() == "websub":
            return http_url(text(hub.get("url")), base_url)
    return None


def _json_entry(item: Mapping[str, object], feed_author: str | None, base_url: str) -> RawEntry:
    raw_id = item.get("id")
    # JSON Feed 1.0 allowed numeric ids; bools are ints in Python but not ids.
    guid = str(raw_id) if isinstance(raw_id, int | float) and not isinstance(raw_id, bool) else None
    link = absolute(text(item.get("url")) or text(item.get("external_url")), base_url) or None
    date = _rfc3339(item.get("date_published")) or _rfc3339(item.get("date_modified"))
    tags = item.get("tags")
    return RawEntry(
        guid=text(raw_id) or guid or link,
        title=text(item.get("title")),
        link=link,
        summary=text(item.get("summary")),
        content=text(item.get("content_html")) or text(item.get("content_text")),
        published=date,
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        author=_json_author(item) or feed_author,
    )


def _json_author(obj: Mapping[str, object]) -> str | None:
    """The first author's name: JSON Feed 1.1 ``authors`` list, else 1.0 ``author`` object."""
    authors = obj.get("authors")
    candidates = authors if isinstance(authors, list) else [obj.get("author")]
    for author in candidates:
        if isinstance(author, dict) and (name := text(author.get("name"))):
            return name
    return None


def _rfc3339(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:  # RFC 3339 requires an offset; assume the common mistake is UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# -- RSS / Atom via feedparser ---------------------------------------------------------------


def strip_doctypes(body: bytes) -> tuple[bytes, bytes]:
    """``body`` without DOCTYPE declarations, and the first one removed (or b"").

    Only the prolog is scanned, past the XML declaration, processing instructions and
    comments, because that is the only place an XML parser reads a DTD; a "<!DOCTYPE"
    later on is text (say, HTML quoted in CDATA) and is left alone. Raises
    :class:`ParseError` for a DOCTYPE that never closes: passing it on would leave
    entity declarations for the parser to expand.
    """
    removed: list[bytes] = []
    kept: list[bytes] = []
    position = len(_UTF8_BOM) if body.startswith(_UTF8_BOM) else 0
    kept_from = 0
    while item := _PROLOG_ITEM.match(body, position):
        opener = item.group(1)
        if opener.startswith(b"<?"):
            position = _past(body, b"?>", item.end())
        elif opener == b"<!--":
            position = _past(body, b"-->", item.end())
        else:
            position = _doctype_end(body, item.end())
            if position < 0:
                raise ParseError("not a feed: unterminated DOCTYPE")
            kept.append(body[kept_from : item.start(1)])
            removed.append(body[item.start(1) : position])
            kept_from = position
        if position < 0:  # an unterminated comment or PI: the parser will reject it anyway
            break
    kept.append(body[kept_from:])
    return b"".join(kept), (removed[0] if removed else b"")


def _doctype_end(body: bytes, position: int) -> int:
    """Index just past the '>' closing a DOCTYPE whose name starts at ``position``, or -1."""
    in_subset = False
    while position >= 0 and (token := _DOCTYPE_TOKEN.search(body, position)):
        kind, position = token.group(), token.end()
        if kind in (b'"', b"'", b"<!--"):
            position = _past(body, b"-->" if kind == b"<!--" else kind, position)
        elif kind == b">" and not in_subset:
            return position
        else:
            in_subset = kind == b"[" or (in_subset and kind != b"]")
    return -1


def _past(body: bytes, needle: bytes, position: int) -> int:
    found = body.find(needle, position)
    return -1 if found < 0 else found + len(needle)


def parse_with_feedparser(
    body: bytes, content_type: str | None, url: str, max_entries: int
) -> ParsedFeed:
    """RSS/Atom read by feedparser alone: every XML document the fast path declines
    (and the reference ``bench.parse_equivalence`` holds the fast path to)."""
    utf8, encoding_warning = _to_utf8(body, content_type)
    stripped, doctype = strip_doctypes(utf8)
    # No base URL is given to feedparser: it would also "resolve" plain-text guids against it.
    result = feedparser.parse(
        io.BytesIO(stripped),  # a stream: a bytes/str argument may be opened as a path or URL
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,  # normalise reduces everything to plain text anyway
        resolve_relative_uris=False,
    )
    entries = list(dict.get(result, "entries") or [])
    version = str(dict.get(result, "version") or "")
    if not version and not entries:
        raise ParseError(f"not a feed: {_bozotext(result) or 'no feed elements found'}")
    if version == "rss091u" and b"netscape" in doctype.lower():
        version = "rss091n"  # feedparser reads this from the DOCTYPE we removed
    warning = _bozotext(result) if dict.get(result, "bozo") else encoding_warning
    feed = dict.get(result, "feed") or {}
    return parsed_feed(version, feed, entries[:max_entries], url, warning or None)


def _bozotext(result: dict[str, object]) -> str:
    exc = dict.get(result, "bozo_exception")
    return "" if exc is None else f"{type(exc).__name__}: {exc}"[:_MAX_WARNING_CHARS]
