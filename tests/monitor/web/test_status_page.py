"""The status page over plain HTTP: sections, security headers, hostile feed text escaped.

One daemon polls a hostile feed (and a broken one) once through the real pipeline,
delivers through real webhooks on loopback, and serves the page on a real listener;
what the pipeline would clean is written through the store API (tests/support/status_world).
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.web.segments import segments, web_link
from monitor.web.status_page import duration
from tests.support.status_world import HOSTILE, serve_in_thread

# Every tag the template writes; anything else in the page came from feed text.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "a", "section", "span",
    "code", "table", "thead", "tbody", "tr", "th", "td", "br", "small", "div", "mark",
    "svg", "rect", "form", "label", "input", "select", "option", "button", "ul", "li",
}  # fmt: skip
TEMPLATE_ATTRIBUTES = {
    "lang", "charset", "name", "content", "http-equiv", "href", "class", "id", "rel", "target",
    "colspan", "xmlns", "width", "height", "viewbox", "role", "aria-label", "x", "y", "fill",
    "dir", "method", "action", "type", "value", "maxlength", "placeholder", "size",
    "selected",
}  # fmt: skip


class Page(HTMLParser):
    """The parsed page: tags with attributes, text per section, marked words."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self.marks: list[str] = []
        self._section = "head"
        self._in_mark = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
        self._in_mark = tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        self._in_mark = self._in_mark and tag != "mark"

    def handle_data(self, data: str) -> None:
        self.text[self._section] = self.text.get(self._section, "") + data
        if self._in_mark:
            self.marks.append(data)


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(tmp_path_factory.mktemp("status")) as url:
        yield url


@pytest.fixture(scope="module")
def response(page_url: str) -> httpx.Response:
    return httpx.get(page_url)


@pytest.fixture(scope="module")
def page(response: httpx.Response) -> Page:
    return Page(response.text)


def test_page_is_html_with_security_headers(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # default-src 'none' covers scripts: none may run
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("feeds", "2 configured, 2 enabled."),
        ("feeds", "failing: 1"),
        ("feeds", "Broken Wire"),
        ("feeds", "at most 100 shown"),
        ("stories", "Hezbollah fighters cross into Syria"),
        ("stories", "iran-in-syria (high): Iranian, Latakia, Homs"),
        ("alerts", "hook: sent, 1 attempt"),
        ("alerts", "down: pending, 1 attempt, next in"),
        ("alerts", "request failed (ConnectError)"),
        ("silences", "iran-in-syria"),
        ("rules", "iran-in-syria 2"),
        ("surges", "Kyiv"),
        ("surges", "14 1.2 9"),  # reports, expected, outlets
        ("surges", "(7 outlets)"),
    ],
)
def test_sections_show_health_stories_deliveries_and_silences(
    page: Page, section: str, expected: str
) -> None:
    assert expected in " ".join(page.text[section].split())


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("stories", "script_title"),
        ("stories", "img_summary"),
        ("stories", "feed_name"),
        ("stories", "js_title"),
        ("stories", "js_link"),
        ("feeds", "feed_error"),
        ("alerts", "script_title"),
        ("silences", "silence_reason"),
        ("surges", "surge_label"),
        ("surges", "surge_story"),
    ],
)
def test_hostile_text_is_shown_literally(page: Page, section: str, key: str) -> None:
    assert HOSTILE[key] in page.text[section]


def test_no_markup_from_feed_text_becomes_a_tag_or_attribute(page: Page) -> None:
    assert {tag for tag, _ in page.tags} <= TEMPLATE_TAGS
    names = {name for _, attrs in page.tags for name in attrs}
    assert names <= TEMPLATE_ATTRIBUTES  # no onerror, onload, onmouseover, srcdoc


def test_each_rule_has_its_weeks_chart(page: Page) -> None:
    (chart,) = [attrs for tag, attrs in page.tags if tag == "svg"]
    label = "iran-in-syria: 2 stories in the last 7 days, at most 2 in six hours"
    assert (chart["class"], chart["aria-label"]) == ("activity", label)
    assert sum(tag == "rect" for tag, _ in page.tags) == 28


def test_links_are_http_only_and_do_not_leak_the_referrer(page: Page) -> None:
    anchors = [attrs for tag, attrs in page.tags if tag == "a"]
    external = [attrs for attrs in anchors if not (attrs["href"] or "").startswith(("#", "/"))]
    assert {attrs["href"] for attrs in external} == {
        "https://evil.example/1",
        HOSTILE["quote_link"],
    }
    assert all(attrs["rel"] == "noopener noreferrer" for attrs in external)


def test_matched_terms_are_marked_in_titles_and_summaries(page: Page) -> None:
    # Hostile story: Iranian and Latakia in the title, Homs in the summary; the
    # store-API story: Iranian and Homs in the title, Homs in the summary.
    assert sorted(page.marks) == sorted(["Iranian", "Latakia", "Homs", "Iranian", "Homs", "Homs"])


def test_each_story_shows_its_articles_language(page: Page) -> None:
    """Beside the feed's name: the language the pipeline identified, or the stored one."""
    stories = " ".join(page.text["stories"].split())
    assert f"{HOSTILE['feed_name']} · fa" in stories


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/", 302, "/status"),
        ("/status/", 200, None),
        ("/statusx", 404, None),
        ("/status/feeds", 404, None),
        ("/elsewhere", 404, None),
    ],
)
def test_root_redirects_and_unknown_paths_are_not_found(
    page_url: str, path: str, status: int, location: str | None
) -> None:
    base = page_url.removesuffix("/status")
    reply = httpx.get(base + path)
    assert reply.status_code == status
    assert reply.headers.get("location") == location
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_page_is_read_only(page_url: str) -> None:
    assert httpx.post(page_url, content=b"x").status_code == 404


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("HTTP://EXAMPLE.COM/", "HTTP://EXAMPLE.COM/"),
        ("javascript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("//evil.example/x", None),
        ("/relative", None),
        ("http://", None),
        ("https://exa\nmple.com/", None),
        ("https://example.com/\x00", None),
        ("https://[::1/", None),
        ("", None),
    ],
)
def test_only_plain_http_urls_become_links(url: str, link: str | None) -> None:
    assert web_link(url) == link


@pytest.mark.parametrize(
    ("text", "spans", "limit", "runs"),
    [
        ("no hits", [], None, (("no hits", False),)),
        ("Iran and Syria", [(0, 4), (9, 14)], None,
         (("Iran", True), (" and ", False), ("Syria", True))),
        ("overlap", [(0, 3), (2, 5)], None, (("overl", True), ("ap", False))),
        ("a long summary", [(7, 14)], 9, (("a long ", False), ("su", True), ("…", False))),
        ("cut before", [(8, 10)], 4, (("cut ", False), ("…", False))),
    ],
)  # fmt: skip
def test_segments_mark_merged_spans_and_cut_long_text(
    text: str, spans: list[tuple[int, int]], limit: int | None, runs: tuple[tuple[str, bool]]
) -> None:
    assert segments(text, spans, limit) == runs


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (0, "0s"), (59, "59s"), (60, "1m"), (90, "1.5m"), (3600, "1h"),
     (36000, "10h"), (86400 * 100, "100d")],
)  # fmt: skip
def test_durations_read_short(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


async def test_the_daemon_serves_the_status_page_on_its_listener(tmp_path: Path) -> None:
    config_path = tmp_path / "ww.toml"
    config_path.write_text(f"""
[store]
path = "{tmp_path / "ww.db"}"
[listener]
enabled = true
port = 0
""")
    daemon = await Daemon.build(load_config(config_path))
    try:
        await daemon.listener.start()
        async with httpx.AsyncClient(base_url=daemon.listener.url) as client:
            page, root = await client.get("/status"), await client.get("/")
    finally:
        await daemon.close()
    assert page.status_code == 200
    assert "No feed polled yet." in Page(page.text).text["feeds"]
    assert (root.status_code, root.headers["location"]) == (302, "/status")
