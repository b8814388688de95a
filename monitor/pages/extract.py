"""An article page to its article: title, body, lead, language, author, publication time
and canonical address — a pure function (no I/O, picklable in and out), so it runs in the
parse worker processes as feed parsing does."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import overload

from lxml.html import HtmlElement, HTMLParser, document_fromstring

from monitor.pages.continued import continued_body
from monitor.pages.decode import MAX_HTML_BYTES, DecodedPage, decode_html
from monitor.pages.diagnose import ExtractionIssue, issue_for, looks_like_html, too_complex
from monitor.pages.meta import canonical_url, page_language, published_time
from monitor.pages.selector import InvalidSelectorError, selected_text
from monitor.pages.trafilatura_api import (
    DEFAULT_BODY_OPTIONS,
    BodyOptions,
    TitleAuthor,
    body_text,
    title_and_author,
)

# As trafilatura parses: comments and processing instructions out (a comment inside a
# paragraph otherwise cuts it short in its text), no ids collected.
_PARSER = HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")  # lxml refuses it in a str
# trafilatura drops every non-printable character, the zero-width non-joiner too — which
# Persian, Kurdish and Urdu spell words with (سه‌شنبه is not سهشنبه). It travels through
# as the object replacement character, printable and meaningless in a page's text.
_ZWNJ, _ZWNJ_STAND_IN = "\u200c", "\ufffc"


class ExtractionMethod(enum.StrEnum):
    """What found the body."""

    SELECTOR = "selector"  # the site's content_selector matched
    TRAFILATURA = "trafilatura"
    NONE = "none"  # the page could not be read as HTML


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """The article of a page. ``text``: paragraphs separated by blank lines; ``lead``: the
    first of them. ``issue`` says why ``text`` is empty or short (None when it reads as an
    article); ``selector_missed`` when a content_selector matched nothing and trafilatura
    was used instead; ``truncated`` when the page was cut at the size cap; ``error``, for an
    unparsable page, what the parser or extractor raised (for the daemon's log)."""

    title: str | None
    text: str
    lead: str
    language: str | None
    author: str | None
    published: datetime | None
    canonical_url: str | None
    method: ExtractionMethod
    issue: ExtractionIssue | None
    selector_missed: bool = False
    truncated: bool = False
    encoding: str = ""
    error: str = ""


_ERROR_CHARS = 300  # of an extractor's error in the log: a page's text may be in it


def extract_article(
    html: bytes | str,
    url: str,
    *,
    selector: str | None = None,
    declared_charset: str | None = None,
    options: BodyOptions = DEFAULT_BODY_OPTIONS,
    max_bytes: int = MAX_HTML_BYTES,
) -> ExtractedPage:
    """The article of ``html`` (fetched from ``url``). Never raises for any input but an
    invalid ``selector`` (:class:`InvalidSelectorError`, a configuration error)."""
    decoded = decode_html(html, declared_charset, cap=max_bytes)
    if not looks_like_html(decoded.text):
        return _unread(ExtractionIssue.NOT_HTML, decoded)
    try:
        tree = document_fromstring(
            _protected(_XML_DECLARATION.sub("", decoded.text, count=1)), parser=_PARSER
        )
        if too_complex(tree):  # checked first: metadata alone takes seconds on such a tree
            return _unread(ExtractionIssue.TOO_COMPLEX, decoded)
        page = _from_tree(tree, url, selector, options)
        issue = issue_for(page.text, tree, decoded.text)
    except InvalidSelectorError:
        raise
    except Exception as err:  # any page: said by the daemon with its address, never raised
        return _unread(ExtractionIssue.UNPARSABLE, decoded, f"{type(err).__name__}: {err}")
    return replace(page, issue=issue, truncated=decoded.truncated, encoding=decoded.encoding)


def _from_tree(
    tree: HtmlElement, url: str, selector: str | None, options: BodyOptions
) -> ExtractedPage:
    named = title_and_author(tree, url)
    described = _described(tree, url, named)
    chosen = selected_text(tree, selector) if selector else None
    if chosen is not None:
        return _with_body(described, chosen, ExtractionMethod.SELECTOR, missed=False)
    text = body_text(tree, url, options)
    text = continued_body(tree, text) or text
    return _with_body(described, text, ExtractionMethod.TRAFILATURA, missed=bool(selector))


def _described(tree: HtmlElement, url: str, named: TitleAuthor) -> ExtractedPage:
    return ExtractedPage(
        title=_restored(named.title),
        text="",
        lead="",
        language=page_language(tree),
        author=_restored(named.author),
        published=published_time(tree),
        canonical_url=canonical_url(tree, url),
        method=ExtractionMethod.NONE,
        issue=None,
    )


def _with_body(
    page: ExtractedPage, lines: str, method: ExtractionMethod, *, missed: bool
) -> ExtractedPage:
    paragraphs = [line.strip() for line in _restored(lines).splitlines() if line.strip()]
    if paragraphs and page.title and _same_words(paragraphs[0], page.title):
        del paragraphs[0]  # the headline repeated above the body: the title already has it
    return replace(
        page,
        text="\n\n".join(paragraphs),
        lead=paragraphs[0] if paragraphs else "",
        method=method,
        selector_missed=missed,
    )


def _protected(html: str) -> str:
    return html.replace(_ZWNJ_STAND_IN, "").replace(_ZWNJ, _ZWNJ_STAND_IN)


@overload
def _restored(text: str) -> str: ...
@overload
def _restored(text: None) -> None: ...
def _restored(text: str | None) -> str | None:
    return text.replace(_ZWNJ_STAND_IN, _ZWNJ) if text is not None else None


def _same_words(first: str, second: str) -> bool:
    return first.casefold().split() == second.casefold().split()


def _unread(issue: ExtractionIssue, decoded: DecodedPage, error: str = "") -> ExtractedPage:
    return ExtractedPage(
        title=None,
        text="",
        lead="",
        language=None,
        author=None,
        published=None,
        canonical_url=None,
        method=ExtractionMethod.NONE,
        issue=issue,
        truncated=decoded.truncated,
        encoding=decoded.encoding,
        error=error[:_ERROR_CHARS],
    )
