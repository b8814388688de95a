"""extract_article on pages written for the purpose: the body kept and the furniture
around it dropped, metadata read from the markup, every encoding a page comes in, and
hostile input turned into a reason rather than an exception."""

from __future__ import annotations

import codecs
import pickle
from datetime import UTC, datetime

import pytest

from monitor.pages import (
    ExtractedPage,
    ExtractionIssue,
    ExtractionMethod,
    InvalidSelectorError,
    extract_article,
)
from monitor.pages.diagnose import MAX_ELEMENTS
from tests.support.articles import (
    ARABIC,
    ENGLISH,
    FURNITURE,
    PERSIAN,
    RUSSIAN,
    TURKISH,
    article_page,
)

URL = "https://news.example.org/2026/03/pier"


def _paragraphs(page: ExtractedPage) -> list[str]:
    return page.text.split("\n\n")


def test_the_body_is_kept_and_the_furniture_around_it_dropped() -> None:
    page = extract_article(article_page(ENGLISH).encode(), URL)
    assert _paragraphs(page) == list(ENGLISH)
    assert page.lead == ENGLISH[0]
    assert page.title == "Pier closed after cracks found"
    assert page.method is ExtractionMethod.TRAFILATURA
    assert page.issue is None
    for furniture in FURNITURE:
        assert furniture not in page.text


@pytest.mark.parametrize(
    ("paragraphs", "lang"),
    [(ARABIC, "ar"), (PERSIAN, "fa"), (RUSSIAN, "ru"), (TURKISH, "tr")],
    ids=["arabic", "persian", "russian", "turkish"],
)
def test_non_english_text_comes_through_intact(paragraphs: tuple[str, ...], lang: str) -> None:
    page = extract_article(article_page(paragraphs, lang=lang).encode(), URL)
    assert _paragraphs(page) == list(paragraphs)
    assert page.language == lang


def _encoded_page(paragraphs: tuple[str, ...], lang: str, charset: str, *, meta: str) -> bytes:
    html = article_page(paragraphs, lang=lang).replace('<meta charset="utf-8">', meta)
    return html.encode(charset)


@pytest.mark.parametrize(
    ("body", "declared", "paragraphs"),
    [
        pytest.param(
            _encoded_page(ARABIC, "ar", "windows-1256", meta='<meta charset="windows-1256">'),
            None,
            ARABIC,
            id="windows-1256-from-meta",
        ),
        pytest.param(
            _encoded_page(
                RUSSIAN,
                "ru",
                "windows-1251",
                meta='<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
            ),
            None,
            RUSSIAN,
            id="windows-1251-from-http-equiv-meta",
        ),
        pytest.param(
            _encoded_page(RUSSIAN, "ru", "koi8-r", meta=""),
            "koi8-r",
            RUSSIAN,
            id="koi8-r-from-the-header",
        ),
        pytest.param(
            _encoded_page(RUSSIAN, "ru", "koi8-r", meta='<meta charset="windows-1251">'),
            "KOI8-R",
            RUSSIAN,
            id="the-header-wins-over-the-meta",
        ),
        pytest.param(
            codecs.BOM_UTF8 + _encoded_page(PERSIAN, "fa", "utf-8", meta=""),
            "iso-8859-1",
            PERSIAN,
            id="a-utf-8-bom-wins-over-the-header",
        ),
        pytest.param(
            _encoded_page(TURKISH, "tr", "utf-8", meta=""),
            None,
            TURKISH,
            id="undeclared-utf-8",
        ),
        pytest.param(
            _encoded_page(RUSSIAN, "ru", "windows-1251", meta=""),
            None,
            RUSSIAN,
            id="undeclared-windows-1251-guessed",
        ),
    ],
)
def test_the_page_is_decoded_as_declared(
    body: bytes, declared: str | None, paragraphs: tuple[str, ...]
) -> None:
    page = extract_article(body, URL, declared_charset=declared)
    assert _paragraphs(page) == list(paragraphs)


def test_a_content_selector_overrides_trafilatura_without_its_noise() -> None:
    html = article_page(ENGLISH).replace(
        f"<p>{ENGLISH[1]}</p>", f"<p>{ENGLISH[1]}</p><script>track('x')</script><nav>Next</nav>"
    )
    page = extract_article(html, URL, selector="article .story-body")
    assert page.method is ExtractionMethod.SELECTOR
    assert not page.selector_missed
    assert _paragraphs(page) == list(ENGLISH)


def test_a_selector_keeps_a_paragraph_whole_across_the_line_breaks_of_its_markup() -> None:
    """Line breaks inside a <p> are white space, as a browser shows them, not paragraphs."""
    wrapped = [paragraph.replace(", ", ",\n    ", 1) for paragraph in ENGLISH]
    page = extract_article(article_page(wrapped), URL, selector="article .story-body")
    assert any("\n" in paragraph for paragraph in wrapped)
    assert _paragraphs(page) == list(ENGLISH)


def test_a_selector_takes_what_trafilatura_would_drop() -> None:
    page = extract_article(article_page(ENGLISH), URL, selector="article .story-body, .comments")
    assert FURNITURE[3] in page.text
    assert page.method is ExtractionMethod.SELECTOR


def test_a_selector_matching_nothing_falls_back_to_trafilatura_and_says_so() -> None:
    page = extract_article(article_page(ENGLISH), URL, selector="div.article-text")
    assert page.method is ExtractionMethod.TRAFILATURA
    assert page.selector_missed
    assert _paragraphs(page) == list(ENGLISH)


def test_an_invalid_selector_is_a_configuration_error() -> None:
    with pytest.raises(InvalidSelectorError, match="invalid CSS selector"):
        extract_article(article_page(ENGLISH), URL, selector="article >> p[")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<link rel="canonical" href="/2026/03/pier-closed">',
            "https://news.example.org/2026/03/pier-closed",
        ),
        (
            '<meta property="og:url" content="https://example.org/a?id=7">',
            "https://example.org/a?id=7",
        ),
        ('<link rel="canonical" href="javascript:alert(1)">', None),
        ('<link rel="canonical" href="ftp://example.org/a">', None),
        ("", None),
    ],
    ids=["relative-link", "og-url", "javascript-refused", "ftp-refused", "none"],
)
def test_the_canonical_url(head: str, expected: str | None) -> None:
    assert extract_article(article_page(ENGLISH, head=head), URL).canonical_url == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="article:published_time" content="2026-03-03T09:15:00+03:30">',
            datetime(2026, 3, 3, 5, 45, tzinfo=UTC),
        ),
        (
            '<meta itemprop="datePublished" content="2026-03-03T09:15:00Z">',
            datetime(2026, 3, 3, 9, 15, tzinfo=UTC),
        ),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle",'
            ' "datePublished": "2026-03-03T09:15:00-05:00"}</script>',
            datetime(2026, 3, 3, 14, 15, tzinfo=UTC),
        ),
        ('<meta property="article:published_time" content="yesterday">', None),
    ],
    ids=["article-meta-with-offset", "itemprop", "json-ld", "unparsable"],
)
def test_the_published_time_in_utc(head: str, expected: datetime | None) -> None:
    assert extract_article(article_page(ENGLISH, head=head), URL).published == expected


@pytest.mark.parametrize(
    ("lang", "head", "expected"),
    [
        ("fa-IR", "", "fa"),
        (None, '<meta property="og:locale" content="tr_TR">', "tr"),
        (None, '<meta http-equiv="Content-Language" content="ru">', "ru"),
        (None, "", None),
    ],
    ids=["html-lang", "og-locale", "content-language", "none"],
)
def test_the_language_from_the_markup(lang: str | None, head: str, expected: str | None) -> None:
    assert extract_article(article_page(ENGLISH, lang=lang, head=head), URL).language == expected


JS_SHELL = (
    "<!DOCTYPE html><html><head><title>News</title>"
    "<script>" + "window.__STATE__ = {};" * 200 + "</script></head>"
    '<body><div id="root"></div><noscript>Please enable JavaScript to read this site.'
    "</noscript></body></html>"
)
SWARM = "<div><a href='/x'>x</a></div>" * (MAX_ELEMENTS // 2)  # beyond any real page
PAYWALLED = article_page(
    ENGLISH[:1],
    head='<script type="application/ld+json">{"isAccessibleForFree": false}</script>',
)


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (JS_SHELL.encode(), ExtractionIssue.JS_SHELL),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ExtractionIssue.NOT_HTML),
        (b'{"title": "Pier closed", "body": "cracks"}', ExtractionIssue.NOT_HTML),
        (b"", ExtractionIssue.NOT_HTML),
        (PAYWALLED.encode(), ExtractionIssue.PAYWALL_TEASER),
        (article_page(ENGLISH[:1]).encode(), ExtractionIssue.TOO_SHORT),
        (article_page(ENGLISH, head=SWARM).encode(), ExtractionIssue.TOO_COMPLEX),
        (
            b"<html><head><title>Soon</title></head><body><div></div></body></html>",
            ExtractionIssue.EMPTY,
        ),
    ],
    ids=[
        "js-shell",
        "png",
        "json",
        "nothing",
        "paywall-teaser",
        "too-short",
        "too-complex",
        "empty",
    ],
)
def test_why_no_article_was_found(body: bytes, issue: ExtractionIssue) -> None:
    assert extract_article(body, URL).issue is issue


def test_a_huge_page_is_cut_at_the_cap_and_its_article_still_found() -> None:
    filler = "<div><p>" + "Padding text for a very long page. " * 40 + "</p></div>\n"
    huge = article_page(ENGLISH) + filler * 5000
    page = extract_article(huge.encode(), URL, max_bytes=len(huge) // 4)
    assert page.truncated
    assert ENGLISH[0] in page.text


def test_deeply_nested_markup_gives_a_result_not_an_exception() -> None:
    nested = "<div>" * 200_000 + ENGLISH[0] + "</div>" * 200_000
    page = extract_article(f"<html><body>{nested}</body></html>".encode(), URL)
    assert isinstance(page, ExtractedPage)
    assert page.issue is not None or ENGLISH[0] in page.text


def test_the_result_is_deterministic_and_picklable() -> None:
    html = article_page(ARABIC, lang="ar").encode()
    first, second = extract_article(html, URL), extract_article(html, URL)
    assert first == second
    assert pickle.loads(pickle.dumps(first)) == first


def test_a_comment_inside_a_paragraph_does_not_cut_it_short() -> None:
    commented = [p.replace(" ", " <!-- ad:inline --> ", 1) for p in ENGLISH]
    page = extract_article(article_page(commented), URL)
    assert _paragraphs(page) == list(ENGLISH)


def _grid(paragraphs: tuple[str, ...]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    rail = '<div class="rail"><div class="ad"></div><div class="most-popular"></div></div>'
    return f'<div class="grid"><div class="story-body">{body}</div>{rail}</div>'


def test_a_body_split_by_an_advertising_row_is_read_whole() -> None:
    """As some sites lay out long articles: grid rows of body and rail with an advertising
    row between them, no ``<article>`` around them; trafilatura alone keeps the first row."""
    rows = (
        _grid(ENGLISH[:2])
        + '<div class="row full-bleed-ad"><span>Advertisement</span><div></div></div>'
        + _grid(ENGLISH[2:])
    )
    page = extract_article(article_page((), body_html=rows, wrapper="div"), URL)
    assert _paragraphs(page) == list(ENGLISH)
