"""The shared hygiene helpers every notifier relies on for hostile feed text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifiers._http import parse_retry_after
from notifiers._text import multi_line, safe_link, single_line, truncate
from notifiers._urls import is_loopback

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

RETRY_AFTER = [
    pytest.param(None, None, id="absent"),
    pytest.param("30", 30.0, id="seconds"),
    pytest.param(" 5 ", 5.0, id="padded"),
    pytest.param("1.5", 1.5, id="fraction"),
    pytest.param("Wed, 01 May 2024 12:02:00 GMT", 120.0, id="http-date"),
    pytest.param("Wed, 01 May 2024 11:00:00 GMT", 0.0, id="date-in-the-past"),
    pytest.param("-5", None, id="negative"),
    pytest.param("soon", None, id="garbage"),
    pytest.param("", None, id="empty"),
    pytest.param("1e9", None, id="exponent"),
]


@pytest.mark.parametrize(("header", "seconds"), RETRY_AFTER)
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    """Delay-seconds and HTTP-dates become seconds from now; anything else is None."""
    assert parse_retry_after(header, now=NOW) == seconds


LINKS = [
    pytest.param("https://news.example.org/a?b=1#c", True, id="https"),
    pytest.param("HTTP://NEWS.EXAMPLE.ORG/", True, id="upper-case-scheme"),
    pytest.param("  https://news.example.org/  ", True, id="surrounding-space-trimmed"),
    pytest.param("javascript:alert(1)", False, id="javascript"),
    pytest.param("java\tscript:alert(1)", False, id="javascript-with-tab"),
    pytest.param("data:text/html;base64,PHNjcmlwdD4=", False, id="data"),
    pytest.param("mailto:a@b.c", False, id="mailto"),
    pytest.param("/relative/path", False, id="relative"),
    pytest.param("https://", False, id="no-host"),
    pytest.param("https://[::1", False, id="broken-ipv6"),
    pytest.param("https://x.example/\u202egnp.exe", False, id="bidi-override"),
    pytest.param("https://x.example/" + "a" * 3000, False, id="overlong"),
    pytest.param("", False, id="empty"),
]


@pytest.mark.parametrize(("link", "kept"), LINKS)
def test_safe_link_keeps_only_plain_http_urls(link: str, kept: bool) -> None:
    """Only absolute http(s) URLs without whitespace or control characters survive."""
    assert (safe_link(link) is not None) is kept


SINGLE_LINE = [
    pytest.param("plain", "plain", id="plain"),
    pytest.param("a\r\nb\tc", "a b c", id="whitespace-collapsed"),
    pytest.param("a\x1b[1;31mb\x1b[0m", "ab", id="sgr"),
    pytest.param("a\x1b]0;title\x07b", "ab", id="osc-bel"),
    pytest.param("a\x1b]0;title\x1b\\b", "ab", id="osc-st"),
    pytest.param("a\x1bcb", "ab", id="full-reset"),
    pytest.param("a\x1b7b\x1b8", "ab", id="save-restore-cursor"),
    pytest.param("a\x1b(0b", "ab", id="charset-switch"),
    pytest.param("a\x1bPq#0;2;0;0;0\x1b\\b", "ab", id="dcs-sixel"),
    pytest.param("a\x00b", "a b", id="nul"),
    pytest.param("a\u2029b", "a b", id="paragraph-separator"),
    pytest.param("a\u2066b\u2069", "ab", id="bidi-isolates"),
    pytest.param("a\ud800b", "a?b", id="lone-surrogate"),
    pytest.param("emoji 👍🏽 ok", "emoji 👍🏽 ok", id="emoji-kept"),
]


@pytest.mark.parametrize(("raw", "clean"), SINGLE_LINE)
def test_single_line_cleaning(raw: str, clean: str) -> None:
    """Escape sequences vanish whole; controls and breaks become single spaces."""
    assert single_line(raw, 100) == clean


def test_multi_line_keeps_paragraphs_but_not_controls() -> None:
    """Newlines and tabs survive in body text; escapes and other controls do not."""
    assert multi_line("one\n\ttwo\x1b[2J\x07\r", 100) == "one\n\ttwo"


@pytest.mark.parametrize(
    ("text", "limit", "result"),
    [("short", 10, "short"), ("exactly10!", 10, "exactly10!"), ("a long headline", 7, "a long…")],
)
def test_truncate_marks_the_cut(text: str, limit: int, result: str) -> None:
    """Text over the limit is cut to exactly ``limit`` characters ending in an ellipsis."""
    assert truncate(text, limit) == result


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("LOCALHOST", True),
        ("localhost.example.com", False),
        ("10.0.0.1", False),
        ("hooks.slack.com", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    """Only localhost and loopback IP literals count as loopback (for the http exception)."""
    assert is_loopback(host) is loopback
