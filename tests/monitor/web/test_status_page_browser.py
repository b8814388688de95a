"""The status page in a real headless Chromium: it renders, and hostile feed text stays inert.

Debian's /usr/bin/chromium, driven by Playwright (never its downloaded browsers). Each
payload the hostile feed carries would set ``document.title`` or ``window.pwned``, or
open a dialog, if it ran. The page is checked twice: as served (escaping and the
Content-Security-Policy) and with the policy bypassed, so escaping alone must hold.
Skips, saying why, only where no Chromium is installed (``.ci/run`` installs it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.chromium import dismiss_dialogs, launched_chromium, require_chromium
from tests.support.status_world import HOSTILE, serve_in_thread

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import Browser, Page  # noqa: E402


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(tmp_path_factory.mktemp("status-browser")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def _open(browser: Browser, url: str, *, bypass_csp: bool) -> tuple[Page, list[str]]:
    """The loaded page and every dialog or console error it produced."""
    context = browser.new_context(bypass_csp=bypass_csp, java_script_enabled=True)
    page = context.new_page()
    events: list[str] = []
    dismiss_dialogs(page, events, "dialog: ")
    page.goto(url, wait_until="load")
    return page, events


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["as-served", "csp-bypassed"])
def test_hostile_feed_text_does_not_run(browser: Browser, page_url: str, bypass_csp: bool) -> None:
    page, events = _open(browser, page_url, bypass_csp=bypass_csp)
    for row in page.locator("tr.story").all():  # hover every story: no onmouseover may fire
        row.hover()
    assert page.title() == "wirewatch status"
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script, img, iframe, [onerror], [onmouseover], [onload]").count() == 0
    assert page.locator("svg").count() == page.locator("svg.activity").count() == 1
    assert events == []
    page.context.close()


def test_page_renders_every_section(browser: Browser, page_url: str) -> None:
    page, _ = _open(browser, page_url, bypass_csp=False)
    headings = page.locator("h2").all_inner_texts()
    assert headings == [
        "Feeds", "Latest stories", "Rules: the last 7 days", "Surges of the last day",
        "Alerts", "Active silences",
    ]  # fmt: skip
    assert page.locator("tr.feed").count() == 2
    assert page.locator("tr.story").count() == 3
    assert page.locator("tr.alert").count() == 2
    assert page.locator("tr.silence").count() == 1
    assert page.locator("tr.rule-activity").count() == 1
    assert page.locator("tr.surge").count() == 1
    page.context.close()


def test_the_rule_chart_is_drawn_with_a_label(browser: Browser, page_url: str) -> None:
    page, events = _open(browser, page_url, bypass_csp=False)
    chart = page.locator("svg.activity")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0  # rendered, not blocked
    label = "iran-in-syria: 2 stories in the last 7 days, at most 2 in six hours"
    assert page.get_by_role("img", name=label).count() == 1
    assert chart.locator("rect").count() == 28
    assert events == []
    page.context.close()


@pytest.mark.parametrize(
    ("selector", "key"),
    [
        ("#stories", "script_title"),
        ("#stories", "img_summary"),
        ("#stories", "feed_name"),
        ("#stories", "js_link"),
        ("#feeds", "feed_error"),
        ("#silences", "silence_reason"),
        ("#surges", "surge_label"),
        ("#surges", "surge_story"),
    ],
)
def test_hostile_text_reads_literally(
    browser: Browser, page_url: str, selector: str, key: str
) -> None:
    page, _ = _open(browser, page_url, bypass_csp=True)
    shown = " ".join(page.locator(selector).inner_text().split())
    assert " ".join(HOSTILE[key].split()) in shown
    page.context.close()


def test_links_are_only_http_and_marks_highlight_terms(browser: Browser, page_url: str) -> None:
    page, _ = _open(browser, page_url, bypass_csp=False)
    hrefs = page.locator("#stories a.title").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and all(href.startswith("https://evil.example/") for href in hrefs)
    rels = set(page.locator("#stories a.title").evaluate_all("links => links.map(a => a.rel)"))
    assert rels == {"noopener noreferrer"}
    marks = page.locator("#stories mark").all_inner_texts()
    assert sorted(marks) == sorted(["Iranian", "Latakia", "Homs", "Iranian", "Homs", "Homs"])
    page.context.close()
