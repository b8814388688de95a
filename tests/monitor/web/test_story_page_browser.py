"""Story pages and the story filters in a real headless Chromium (Debian's /usr/bin/chromium).

A story told in English, Arabic and Russian (tests/support/story_world): each headline
laid out in its own direction, its terms marked in every script; the status page's
filter form submitted as a person would, under the Content-Security-Policy as served
(a refused form would log a violation and go nowhere); hostile text inert. Screenshots
go to ``$WIREWATCH_SCREENSHOTS`` when set (to look at), else to the test's temporary
directory. Skips only where no Chromium is installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.chromium import dismiss_dialogs, launched_chromium, require_chromium
from tests.support.status_world import serve_in_thread
from tests.support.story_world import STORY, story_world

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import Browser, ConsoleMessage, Page  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
# (gap left of the text, gap right of it) within each element's box, in pixels
_TEXT_GAPS = """items => items.map(item => {
  const range = document.createRange(); range.selectNodeContents(item);
  const text = range.getBoundingClientRect(), box = item.getBoundingClientRect();
  return [text.left - box.left, box.right - text.right];
})"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(tmp_path_factory.mktemp("story-browser"), story_world) as url:
        yield url.removesuffix("/status")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    chosen = os.environ.get("WIREWATCH_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser: Browser, url: str, *, bypass_csp: bool = False) -> tuple[Page, list[str]]:
    """The loaded page and every dialog, console error or page error it produced."""
    context = browser.new_context(
        bypass_csp=bypass_csp, viewport={"width": 1200, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    events: list[str] = []
    dismiss_dialogs(page, events, "dialog: ")
    page.on("console", lambda message: _console_error(message, events))
    page.on("pageerror", lambda error: events.append(f"error: {error}"))
    page.goto(url, wait_until="load")
    return page, events


def _console_error(message: ConsoleMessage, events: list[str]) -> None:
    """An error the page logged; a browser's own favicon request aside (answered 404
    once the policy is bypassed)."""
    if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
        events.append(message.text)


def _direction(page: Page, selector: str) -> list[str]:
    directions = page.locator(selector).evaluate_all(
        "items => items.map(item => getComputedStyle(item).direction)"
    )
    assert isinstance(directions, list), directions
    return [str(direction) for direction in directions]


def test_each_headline_is_laid_out_in_its_own_direction(
    browser: Browser, base_url: str, shots: Path
) -> None:
    page, events = _open(browser, f"{base_url}/stories/{STORY}")
    assert _direction(page, "tr.article a.headline") == ["ltr", "rtl", "ltr", "ltr"]
    assert _direction(page, "tr.article .summary") == ["ltr", "rtl", "ltr", "ltr"]
    # Where each headline's words are drawn within its line: right to left, the Arabic
    # one hugs the right edge; the others the left.
    gaps = page.locator("tr.article a.headline").evaluate_all(_TEXT_GAPS)
    assert [left < right for left, right in gaps] == [True, False, True, True]
    page.screenshot(path=shots / "story-three-languages.png", full_page=True)
    assert (shots / "story-three-languages.png").read_bytes().startswith(PNG)
    assert events == []
    page.context.close()


def test_terms_are_marked_in_every_script(browser: Browser, base_url: str) -> None:
    page, _ = _open(browser, f"{base_url}/stories/{STORY}")
    marks = [row.locator("a.headline mark").all_inner_texts()
             for row in page.locator("tr.article").all()]  # fmt: skip
    assert marks == [
        ["Hezbollah", "Latakia"], ["حزب الله", "اللاذقية"], ["Хезболлы", "Латакией"], [],
    ]  # fmt: skip
    highlighted = page.locator("tr.article mark").first.evaluate(
        "mark => getComputedStyle(mark).backgroundColor"
    )
    assert highlighted == "rgb(255, 227, 110)"  # drawn as marked, not dropped by a policy
    page.context.close()


def test_the_search_form_submits_under_the_served_policy(
    browser: Browser, base_url: str, shots: Path
) -> None:
    page, events = _open(browser, f"{base_url}/status")
    form = page.locator("form.filters")
    form.get_by_label("search").fill("حزب الله")
    offered = form.get_by_label("language").locator("option")
    codes = offered.evaluate_all("options => options.map(o => o.value)")
    assert codes[0] == "" and codes[1:] == sorted(codes[1:])  # "any language", then sorted
    assert {"ar", "en", "ru"} <= set(codes)  # the languages the stored articles are in
    form.get_by_label("language").select_option("ar")
    with page.expect_navigation():
        form.get_by_role("button", name="Filter").click()
    assert "q=%D8%AD%D8%B2%D8%A8+%D8%A7%D9%84%D9%84%D9%87" in page.url
    assert "language=ar" in page.url  # the query parameter as before the list
    assert form.get_by_label("language").input_value() == "ar"  # kept for the next search
    assert page.locator("#stories a.story-page").evaluate_all(
        "links => links.map(a => a.pathname)"
    ) == [f"/stories/{STORY}"]
    assert form.get_by_label("search").input_value() == "حزب الله"  # kept for the next search
    page.screenshot(path=shots / "status-filtered.png", full_page=True)
    assert events == []
    page.context.close()


def test_choosing_a_rule_and_a_window_filters_and_a_story_link_opens_its_page(
    browser: Browser, base_url: str
) -> None:
    page, events = _open(browser, f"{base_url}/status")
    form = page.locator("form.filters")
    form.get_by_label("rule").select_option("hezbollah-in-syria")
    form.get_by_label("seen within").select_option("7d")
    with page.expect_navigation():
        form.get_by_role("button", name="Filter").click()
    listed = page.locator("#stories a.story-page")
    assert listed.evaluate_all("links => links.map(a => a.pathname)") == [
        "/stories/s_hostile", f"/stories/{STORY}",
    ]  # fmt: skip
    with page.expect_navigation():
        listed.nth(1).click()
    assert page.url == f"{base_url}/stories/{STORY}"
    assert page.locator("tr.article").count() == 4
    assert events == []
    page.context.close()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["as-served", "csp-bypassed"])
def test_hostile_text_on_a_story_page_does_not_run(
    browser: Browser, base_url: str, bypass_csp: bool
) -> None:
    page, events = _open(browser, f"{base_url}/stories/s_hostile", bypass_csp=bypass_csp)
    for row in page.locator("tr").all():  # hover every row: no onmouseover may fire
        row.hover()
    assert page.title().startswith("wirewatch story: Iranian troops <script>")
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script, img, iframe, b, [onerror], [onmouseover], [onload]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert events == []
    page.context.close()


def test_an_unknown_story_shows_the_not_found_page(browser: Browser, base_url: str) -> None:
    page, _ = _open(browser, f"{base_url}/stories/nowhere")
    assert page.locator("h1").inner_text() == "Not found"
    assert "No story “nowhere” is kept" in page.locator("body").inner_text()
    page.context.close()
