"""Why a page gave no article (or too little of one), told from its markup."""

from __future__ import annotations

import enum
import itertools
import re

from lxml.html import HtmlElement

# The largest of 122 real news pages has 1,600 elements; trafilatura needs about a second
# per 10,000, so a page far beyond that is not an article and not worth the time.
MAX_ELEMENTS = 20_000
MIN_BODY_CHARS = 300  # two or three sentences: less is a teaser or a fragment, not an article
TEASER_BODY_CHARS = 1500  # a paywalled page shows a paragraph or two of the article
_SHELL_TEXT_CHARS = 200
_HTML_SIGNS = re.compile(
    r"<(?:!doctype\s+html|html|head|body|p|div|article|main|section|title|meta|span|h1)\b", re.I
)
_PAYWALL = re.compile(
    r"""["']isAccessibleForFree["']\s*:\s*["']?false|class=["'][^"']*\b(?:paywall|subscriber-only)""",
    re.I,
)


class ExtractionIssue(enum.StrEnum):
    """Why extraction found no article body, or one too short to be the article."""

    NOT_HTML = "not_html"  # binary, JSON, plain text: not a page
    UNPARSABLE = "unparsable"  # the parser or extractor failed on it
    TOO_COMPLEX = "too_complex"  # over MAX_ELEMENTS elements: not read (seconds per page)
    JS_SHELL = "js_shell"  # a body of scripts: the article is drawn by JavaScript
    PAYWALL_TEASER = "paywall_teaser"  # a short body on a page marked as behind a paywall
    TOO_SHORT = "too_short"  # a body under MIN_BODY_CHARS
    EMPTY = "empty"  # markup, but no article text in it


def looks_like_html(text: str) -> bool:
    """Markup in the first 64 KiB, and no NUL (binary) in its first KiB."""
    head = text[:65536]
    return "\x00" not in head[:1024] and _HTML_SIGNS.search(head) is not None


def too_complex(tree: HtmlElement) -> bool:
    return next(itertools.islice(tree.iter(), MAX_ELEMENTS, None), None) is not None


def issue_for(text: str, tree: HtmlElement, html: str) -> ExtractionIssue | None:
    """None when ``text`` reads as an article body; otherwise the likeliest reason."""
    if len(text) >= TEASER_BODY_CHARS:
        return None
    if _PAYWALL.search(html):
        return ExtractionIssue.PAYWALL_TEASER
    if len(text) >= MIN_BODY_CHARS:
        return None
    if _is_js_shell(tree):
        return ExtractionIssue.JS_SHELL
    return ExtractionIssue.TOO_SHORT if text else ExtractionIssue.EMPTY


def _is_js_shell(tree: HtmlElement) -> bool:
    """Little visible text, and either more script than text or a ``<noscript>`` asking for
    JavaScript."""
    script = sum(len(s) for s in tree.xpath("//script/text()"))
    noscript = " ".join(tree.xpath("//noscript//text()")).lower()
    visible = sum(
        len(t.strip())
        for t in tree.xpath(
            "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]"
        )
    )
    return visible < _SHELL_TEXT_CHARS and (script > visible or "javascript" in noscript)
