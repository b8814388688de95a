"""Bytes of a page to text: the byte-order mark, the charset the server declared, the
page's own ``<meta charset>``, then a guess — in the order browsers apply them."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

MAX_HTML_BYTES = 5 * 1024 * 1024  # beyond this a "page" is not an article; parse the head
_META_SCAN_BYTES = 4096  # browsers look for <meta charset> in the first 1024; be lenient
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# WHATWG Encoding: these labels mean windows-1252 on the web, whatever the codec says.
_WEB_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252", "latin-1": "cp1252"}


@dataclass(frozen=True, slots=True)
class DecodedPage:
    """The page as text and the encoding used; ``truncated`` when it was cut at the cap."""

    text: str
    encoding: str
    truncated: bool


def decode_html(
    html: bytes | str, declared_charset: str | None = None, *, cap: int = MAX_HTML_BYTES
) -> DecodedPage:
    """The page as text, at most ``cap`` bytes (characters, for text) of it."""
    truncated = len(html) > cap
    if isinstance(html, str):
        return DecodedPage(html[:cap], "unicode", truncated)
    body = html[:cap]
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return DecodedPage(_decode(body[len(bom) :], encoding), encoding, truncated)
    encoding = _codec(declared_charset) or _meta_charset(body) or _guess(body)
    return DecodedPage(_decode(body, encoding), encoding, truncated)


def _codec(label: str | bytes | None) -> str | None:
    """The Python codec for a charset label, or None for an unknown or missing one."""
    if not label:
        return None
    text = label.decode("ascii", "replace") if isinstance(label, bytes) else label
    try:
        name = codecs.lookup(text.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WEB_ALIASES.get(name, name)


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    codec = _codec(found.group(1)) if found else None
    # A page saved as UTF-16 cannot declare it in ASCII-compatible markup it is not in.
    return None if codec is not None and codec.startswith("utf-16") else codec


def _guess(body: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8 (a cut last character allowed), else a guess."""
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(body, final=False)
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(body[:65536]).best()
        return _codec(best.encoding if best else None) or "utf-8"
    return "utf-8"


def _decode(body: bytes, encoding: str) -> str:
    return body.decode(encoding, errors="replace")
