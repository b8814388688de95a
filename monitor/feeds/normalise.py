"""Raw feed entries to :class:`Article`: plain text, canonical links, UTC dates, stable ids.

Everything here treats its input as hostile: markup may be broken, URLs may be garbage,
text may hold control characters or bidi overrides meant to disguise an alert.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit

from monitor.records import Article, RawEntry, article_id, digest
from monitor.stories import fold

MAX_TITLE_CHARS: Final = 1_000
MAX_SUMMARY_CHARS: Final = 5_000
MAX_CONTENT_CHARS: Final = 20_000
MAX_GUID_CHARS: Final = 1_000
MAX_URL_CHARS: Final = 4_096
MAX_TAG_CHARS: Final = 100
MAX_TAGS: Final = 50
# Only a bounded prefix of a field is parsed as HTML: comfortably more than the text we keep.
MAX_HTML_INPUT_CHARS: Final = 200_000
FUTURE_TOLERANCE: Final = timedelta(days=1)

# Elements whose text is never shown as part of the article (scripts, fallbacks, templates).
_SKIPPED_ELEMENTS: Final = frozenset({"script", "style", "noscript", "template", "iframe"})
_BLOCK_ELEMENTS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
# C0/C1 controls (but not \n), bidi embeddings/overrides/isolates, zero-width and BOM
# characters, and lone surrogates: all invisible, all usable to disguise text.
_INVISIBLE: Final = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
# '<' that opens no tag closed before the next '<', or opens a marked section ("<![").
_LONE_LT: Final = re.compile(r"<(?!(?:[a-zA-Z/?]|!(?!\[))[^<>]*>)")
_INLINE_SPACE: Final = re.compile(r"[^\S\n]+")
_TRACKING_PARAMS: Final = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src",
        "cmpid", "ocid", "yclid", "_hsenc", "_hsmi", "mkt_tok", "wt.mc_id", "icid",
        "gbraid", "wbraid", "twclid", "li_fat_id", "srsltid", "_ga", "xtor", "at_medium",
        "at_campaign", "s_cid", "smid", "cmp", "ito", "guccounter", "guce_referrer",
        "guce_referrer_sig", "__twitter_impression",
        "amp", "_amp", "usqp",  # AMP renderings of the same article
    }
)  # fmt: skip
_AMP_OUTPUT: Final = frozenset({"output=amp", "outputtype=amp"})
_TRACKING_PREFIXES: Final = ("utm_", "ns_")  # Google Analytics, Comscore (BBC)
# Host labels that only pick a rendering of the same site: mobile, AMP, "www".
_RENDERING_HOSTS: Final = ("www.", "m.", "mobile.", "amp.")
_AMP_SUFFIX: Final = re.compile(r"\.amp(?=\.html?$|$)|/amp$")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_HOSTNAME: Final = re.compile(r"\A[^\s<>\"{}|\\^`/?#@\[\]%]+\Z")  # IPv6 brackets are stripped


class _TextExtractor(HTMLParser):
    """Collects text, dropping invisible elements and turning blocks into line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth += 1
        elif tag in _BLOCK_ELEMENTS:
            self.pieces.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_ELEMENTS:  # <br/>, <hr/>; a self-closed <script/> hides nothing
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_ELEMENTS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.pieces.append(data)


def _drop_comments(markup: str) -> str:
    """``markup`` without comments; an unterminated comment hides the rest, as in browsers."""
    pieces: list[str] = []
    position = 0
    while (start := markup.find("<!--", position)) >= 0:
        pieces.append(markup[position:start])
        end = markup.find("-->", start + 4)
        if end < 0:
            return "".join(pieces)
        position = end + 3
    pieces.append(markup[position:])
    return "".join(pieces)


def _unwrap_cdata(markup: str) -> str:
    # Feeds sometimes wrap HTML in CDATA twice; the inner markers are noise, not content.
    return markup.replace("<![CDATA[", "").replace("]]>", "")


def _defuse(markup: str) -> str:
    """Escape each '<' that does not open a tag closed before the next '<', and each "<![".

    html.parser rescans to the end of the input from every unfinished construct, which is
    quadratic on crafted markup (CPython gh-135462); what remains for it is linear work.
    """
    return _LONE_LT.sub("&lt;", _drop_comments(_unwrap_cdata(markup)))


def _extract_text(markup: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(_defuse(markup))
        parser.close()
    except AssertionError:  # _markupbase asserts on some malformed declarations
        return re.sub(r"<[^>]*>", " ", markup)
    return "".join(parser.pieces)


def clean_text(text: str) -> str:
    """Remove invisible characters and collapse whitespace; keep single line breaks."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def single_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def html_to_text(s: str) -> str:
    """Plain text of an HTML fragment: entities decoded, invisible parts and controls dropped.

    Text that was HTML-escaped twice (``&amp;amp;``) is decoded one extra time.
    """
    text = _extract_text(s[:MAX_HTML_INPUT_CHARS])
    return clean_text(html.unescape(text))


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def plain_line(text: str) -> str:
    """A title or a name as articles keep it: plain text on one line, capped."""
    return truncate(single_line(html_to_text(text)), MAX_TITLE_CHARS)


# -- URLs --------------------------------------------------------------------------------------


def _is_tracking(param: str) -> bool:
    if unquote(param).strip().lower() in _AMP_OUTPUT:
        return True
    name = unquote(param.split("=", 1)[0]).strip().lower()
    return name.startswith(_TRACKING_PREFIXES) or name in _TRACKING_PARAMS


def _canonical_host(hostname: str) -> str:
    host = hostname.rstrip(".")
    if ":" in host:
        return f"[{host}]"
    for label in _RENDERING_HOSTS:
        if host.startswith(label) and host.count(".") >= 2:  # keep "m.example" itself
            return host[len(label) :]
    return host


def _canonical_path(path: str) -> str:
    """No trailing slash, no AMP rendering ("/a/amp", "/amp/a", "/a.amp.html")."""
    path = path.rstrip("/")
    path = _AMP_SUFFIX.sub("", path)
    path = path.replace("/amp/", "/", 1) if path.startswith("/amp/") else path
    return path.replace(" ", "%20") or "/"


def canonical_url(url: str) -> str:
    """A comparable form of an http(s) URL, or "" when ``url`` is not a usable web link.

    Lower-cases scheme and host, drops userinfo, default ports, fragments, tracking
    parameters, a trailing slash on non-root paths, and what only selects a rendering of
    the same page ("www.", "m.", "amp." hosts, AMP paths and switches); keeps other
    parameters in order.
    """
    url = url.strip()
    if len(url) > MAX_URL_CHARS or _INVISIBLE.search(url) or "\n" in url:
        return ""
    try:
        parts = urlsplit(url)
        scheme, hostname, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return ""
    if scheme not in _DEFAULT_PORTS or not hostname or not _HOSTNAME.match(hostname):
        return ""
    netloc = _canonical_host(hostname)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _canonical_path(parts.path)
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, path, query.replace(" ", "%20"), ""))


# -- entries -----------------------------------------------------------------------------------


def content_fingerprint(title: str, text: str) -> str:
    """Hash of the folded title and text, or "" without a title: the same entry again,
    whatever GUID its feed gave it this time."""
    folded = fold(title)
    if not folded:
        return ""
    return "fp_" + digest(folded, fold(text))[:20]


def declared_guid(raw: RawEntry) -> str | None:
    """The ``guid`` :func:`normalise_entry` gives an entry that declares one, else None.

    Cheap: lets a poll skip entries it has stored before without normalising them."""
    guid = single_line(raw.guid or "")
    if len(guid) > MAX_GUID_CHARS:
        # Cutting two long ids at the same length could make them equal; a hash cannot.
        return "sha256:" + digest(guid)
    return guid or None


def _entry_guid(raw: RawEntry, link: str, title: str, content: str) -> str:
    guid = declared_guid(raw)
    if guid:
        return guid
    if link:
        return link
    return "sha256:" + digest(title, content)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _published(raw: RawEntry, fetched_at: datetime) -> datetime | None:
    if raw.published is None:
        return None
    published = _as_utc(raw.published)
    # A date far in the future is a broken clock or a trick to stay on top of "newest" lists.
    return fetched_at if published > fetched_at + FUTURE_TOLERANCE else published


def _tags(raw_tags: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for raw in raw_tags:
        tag = truncate(single_line(raw), MAX_TAG_CHARS)
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return tuple(seen.values())[:MAX_TAGS]


def normalise_entry(
    raw: RawEntry, *, feed_url: str, feed_name: str, fetched_at: datetime
) -> Article:
    """Turn a parsed entry into an :class:`Article` with plain, capped text fields."""
    fetched_at = _as_utc(fetched_at)
    title = plain_line(raw.title)
    content = truncate(html_to_text(raw.content), MAX_CONTENT_CHARS)
    summary = truncate(html_to_text(raw.summary) or content, MAX_SUMMARY_CHARS)
    link = canonical_url(raw.link or "")
    guid = _entry_guid(raw, link, title, content or summary)
    return Article(
        article_id=article_id(feed_url, guid),
        feed_url=feed_url,
        feed_name=feed_name,
        guid=guid,
        title=title,
        link=link,
        summary=summary,
        content=content,
        published=_published(raw, fetched_at),
        fetched_at=fetched_at,
        tags=_tags(raw.tags),
        fingerprint=content_fingerprint(title, summary),
        author=plain_line(raw.author or ""),
    )
