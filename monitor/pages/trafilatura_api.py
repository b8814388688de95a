"""The one module that calls trafilatura (untyped): typed entry points for the body and
the title and author of a page. Both take a parsed tree and leave it as it was."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import trafilatura
from lxml.html import HtmlElement


@dataclass(frozen=True, slots=True)
class BodyOptions:
    """How trafilatura is asked. ``favor_precision`` first drops more boilerplate; when its
    body is under ``recheck_below`` characters, the default (recall-leaning) pass runs too
    and wins if it found at least ``recall_ratio`` times as much — precision mode sometimes
    drops the whole article of a page with an unusual layout."""

    favor_precision: bool = True
    recheck_below: int = 1000
    recall_ratio: float = 2.0


DEFAULT_BODY_OPTIONS = BodyOptions()


def body_text(tree: HtmlElement, url: str, options: BodyOptions = DEFAULT_BODY_OPTIONS) -> str:
    """The article's text, one paragraph per line ("" when trafilatura finds none)."""
    first = _extract(tree, url, favor_precision=options.favor_precision)
    if not options.favor_precision or len(first) >= options.recheck_below:
        return first
    second = _extract(tree, url, favor_precision=False)
    return second if len(second) > len(first) * options.recall_ratio else first


def trafilatura_defaults(html: str | bytes, url: str) -> str:
    """trafilatura's ``extract`` as it comes (the benchmark's baseline)."""
    text = trafilatura.extract(html, url=url)
    return text if isinstance(text, str) else ""


def _extract(tree: HtmlElement, url: str, *, favor_precision: bool) -> str:
    text = trafilatura.extract(
        copy.deepcopy(tree),
        url=url,
        favor_precision=favor_precision,
        include_comments=False,  # readers' comments under an article are not the article
        include_tables=True,
        output_format="txt",
    )
    return text if isinstance(text, str) else ""


@dataclass(frozen=True, slots=True)
class TitleAuthor:
    title: str | None
    author: str | None


def title_and_author(tree: HtmlElement, url: str) -> TitleAuthor:
    """Title (og:title, JSON-LD, ``<h1>``, ``<title>``, site name trimmed) and author."""
    meta = trafilatura.extract_metadata(copy.deepcopy(tree), default_url=url, extensive=False)
    return TitleAuthor(_text(getattr(meta, "title", None)), _text(getattr(meta, "author", None)))


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
