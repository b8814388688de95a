"""``/stories/<id>`` and the status page's story filters over plain HTTP, on a real
listener over a real SQLite store (tests/support/story_world)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon
from monitor.listener.server import HttpListener
from monitor.web import status_view
from monitor.web.status_page import install_status_page
from tests.monitor.web.test_status_page import TEMPLATE_ATTRIBUTES, TEMPLATE_TAGS, Page
from tests.support.status_world import HOSTILE, serve_in_thread
from tests.support.story_world import STORY, WorldClock, story_world


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(tmp_path_factory.mktemp("stories"), story_world) as url:
        yield url.removesuffix("/status")


class Rows(Page):
    """The page parsed, with each table row's text and the marks in it."""

    def __init__(self, html: str) -> None:
        self.rows: list[dict[str, object]] = []
        self.story_links: dict[str, list[str]] = {}  # section → the story ids it links
        self._in_row = False
        super().__init__(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        named = dict(attrs)
        if tag == "a" and named.get("class") == "story-page":
            story = str(named["href"]).removeprefix("/stories/")
            self.story_links.setdefault(self._section, []).append(story)
        if tag == "tr":
            self._in_row = True
            self.rows.append({"class": dict(attrs).get("class") or "", "text": "", "marks": []})

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        self._in_row = self._in_row and tag != "tr"

    def handle_data(self, data: str) -> None:
        super().handle_data(data)
        if self._in_row:
            self.rows[-1]["text"] = str(self.rows[-1]["text"]) + data
            if self._in_mark:
                self.rows[-1]["marks"].append(data)  # type: ignore[attr-defined]

    def of_class(self, name: str) -> list[dict[str, object]]:
        return [row for row in self.rows if name in str(row["class"]).split()]


def _get(url: str) -> tuple[httpx.Response, Rows]:
    response = httpx.get(url)
    return response, Rows(response.text)


def test_the_story_page_is_html_behind_the_same_policy(base_url: str) -> None:
    response, _ = _get(f"{base_url}/stories/{STORY}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "form-action 'none'" in policy
    assert "script-src" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


# The timeline, oldest first: outlet, language, link, and the words marked in its
# headline and summary (inflected Russian forms included; "exercise" vetoes, unmarked).
TIMELINE = [
    ("Levant Wire", "en", "a_en", ["Hezbollah", "Latakia", "Latakia"]),
    ("قناة الشرق", "ar", "a_ar", ["حزب الله", "اللاذقية", "اللاذقية"]),
    ("Вести Востока", "ru", "a_ru", ["Хезболлы", "Латакией", "Латакии"]),
    ("Gulf Desk", "en", "a_en2", []),
]


def test_the_timeline_shows_every_article_with_its_terms_marked(base_url: str) -> None:
    _, page = _get(f"{base_url}/stories/{STORY}")
    rows = page.of_class("article")
    assert len(rows) == len(TIMELINE)
    for row, (outlet, language, _, marks) in zip(rows, TIMELINE, strict=True):
        text = " ".join(str(row["text"]).split())
        assert f"{outlet} {language}" in text
        assert row["marks"] == marks, outlet
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a" and "title" in
             (attrs.get("class") or "").split()]  # fmt: skip
    assert [str(link).rsplit("/", 1)[1] for link in links] == [a for _, _, a, _ in TIMELINE]


def test_every_headline_reads_in_its_own_direction_and_language(base_url: str) -> None:
    _, page = _get(f"{base_url}/stories/{STORY}")
    headlines = [attrs for tag, attrs in page.tags if "headline" in
                 (attrs.get("class") or "").split() and tag in {"a", "span", "h1"}]  # fmt: skip
    assert len(headlines) == len(TIMELINE) + 1  # and the page's own heading
    assert all(attrs["dir"] == "auto" for attrs in headlines)
    assert [attrs.get("lang") for attrs in headlines[1:]] == [lang for _, lang, _, _ in TIMELINE]


def test_rules_and_alerts_with_their_deliveries(base_url: str) -> None:
    _, page = _get(f"{base_url}/stories/{STORY}")
    (rule,) = page.of_class("matched-rule")
    assert " ".join(str(rule["text"]).split()).startswith(
        "hezbollah-in-syria high Hezbollah, Latakia, Хезболла, Латакия 2, the first 20"
    )
    alerts = [" ".join(str(row["text"]).split()) for row in page.of_class("alert")]
    assert [re.sub(r"^\S+ \S+Z", "", text) for text in alerts] == [
        "al_new hezbollah-in-syria high new Hezbollah, Latakia hook: pending, due 3h ago "
        "usefullink, 1.5h ago; 1 earlierتأكيد من مصدر ثان",
        "al_more hezbollah-in-syria high outlets>=3 Хезболла, Латакия hook: pending, due 2h ago -",
    ]
    summary = " ".join(page.text["head"].split())
    assert "4 articles 4 outlets" in summary
    assert "Languages: en (2), ar (1), ru (1)." in summary
    assert "Feeds: Levant Wire (1), قناة الشرق (1), Вести Востока (1), Gulf Desk (1)." in summary


@pytest.mark.parametrize(
    "path", ["/stories/no-such-story", "/stories/", "/stories/a/b", "/stories/" + "x" * 300]
)
def test_an_unknown_story_is_a_404_page(base_url: str, path: str) -> None:
    response = httpx.get(base_url + path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "form-action 'none'" in response.headers["content-security-policy"]
    assert "<h1>Not found</h1>" in response.text


def test_a_hostile_story_id_is_shown_escaped(base_url: str) -> None:
    hostile = '<b onmouseover="window.pwned=1">'
    response = httpx.get(f"{base_url}/stories/{hostile}")
    assert response.status_code == 404
    assert hostile not in response.text
    assert "No story “&lt;b onmouseover=&#34;window.pwned=1&#34;&gt;” is kept" in response.text


def test_hostile_article_text_is_inert_on_its_story_page(base_url: str) -> None:
    response, page = _get(f"{base_url}/stories/s_hostile")
    assert response.status_code == 200
    assert {tag for tag, _ in page.tags} <= TEMPLATE_TAGS
    assert {name for _, attrs in page.tags for name in attrs} <= TEMPLATE_ATTRIBUTES
    shown = "".join(page.text.values())
    for key in ("script_title", "img_summary", "feed_name", "js_link", "silence_reason"):
        assert HOSTILE[key] in shown, key
    assert all(not str(attrs.get("href", "")).startswith("javascript") for _, attrs in page.tags)
    # a language that is no language tag is shown as text, never put in an attribute
    assert all(attrs.get("lang") in {None, "en"} for _, attrs in page.tags)


def _verdicts(page: Rows) -> list[str]:
    verdicts = [" ".join(str(row["text"]).split()).split(" pending, ")[1]
                for row in page.of_class("alert")]  # fmt: skip
    return [text.split(" ", 3)[-1] for text in verdicts]


def test_the_status_pages_alerts_show_their_verdicts(base_url: str) -> None:
    _, page = _get(f"{base_url}/status")
    assert _verdicts(page) == [
        f"duplicateci, 20m ago{HOSTILE['silence_reason']}",
        "-",
        "usefullink, 1.5h ago; 1 earlierتأكيد من مصدر ثان",
        "-",
        "-",
    ]


async def test_relative_times_are_the_daemons_clock_not_the_machines(tmp_path: Path) -> None:
    """Every "ago" on the pages is measured from the daemon's clock: moved eleven minutes,
    the verdicts and a delivery's due time age by exactly that."""
    clock = WorldClock()
    async with story_world(tmp_path, clock) as world, httpx.AsyncClient() as client:
        before = Rows((await client.get(world.url)).text)
        clock.advance(timedelta(minutes=11))
        after = Rows((await client.get(world.url)).text)
        story = Rows((await client.get(f"{world.listener.url}/stories/{STORY}")).text)
    assert _verdicts(before)[0] == f"duplicateci, 20m ago{HOSTILE['silence_reason']}"
    assert _verdicts(after)[0] == f"duplicateci, 31m ago{HOSTILE['silence_reason']}"
    assert _verdicts(after)[2] == "usefullink, 1.7h ago; 1 earlierتأكيد من مصدر ثان"
    alerts = [" ".join(str(row["text"]).split()) for row in story.of_class("alert")]
    assert "hook: pending, due 2.2h ago" in alerts[1]


def test_the_status_list_links_each_story_to_its_page(base_url: str) -> None:
    _, page = _get(f"{base_url}/status")
    listed = page.story_links["stories"]
    assert listed == ["s_hostile", STORY, "s_kyiv", "s_homs_old"]
    assert page.story_links["alerts"] == ["s_hostile", STORY, STORY, "s_kyiv", "s_homs_old"]
    for story in listed:
        assert httpx.get(f"{base_url}/stories/{story}").status_code == 200


@pytest.mark.parametrize(
    ("query", "stories"),
    [
        ("", ["s_hostile", STORY, "s_kyiv", "s_homs_old"]),
        ("rule=kyiv", ["s_kyiv"]),
        ("rule=hezbollah-in-syria", ["s_hostile", STORY, "s_homs_old"]),
        ("language=ar", [STORY]),
        ("language=ru", [STORY, "s_kyiv"]),
        ("q=%D8%AD%D8%B2%D8%A8+%D8%A7%D9%84%D9%84%D9%87", [STORY]),  # حزب الله
        ("q=%D0%BA%D0%B8%D0%B5%D0%B2", ["s_kyiv"]),  # киев, any case
        ("q=HEZBOLLAH", [STORY, "s_homs_old"]),
        ("q=convoy&language=en", [STORY]),
        ("within=24h", ["s_hostile", STORY]),
        ("within=7d&rule=hezbollah-in-syria", ["s_hostile", STORY]),
        ("to=2000-01-01", []),
    ],
)
def test_filters_pick_the_stories(base_url: str, query: str, stories: list[str]) -> None:
    response, page = _get(f"{base_url}/status?{query}")
    assert response.status_code == 200
    assert "form-action 'self'" in response.headers["content-security-policy"]
    assert page.story_links.get("stories", []) == stories
    if not stories:
        assert "No story matches these filters." in page.text["stories"]


def test_filters_that_do_not_parse_answer_400_and_say_why(base_url: str) -> None:
    response, page = _get(f"{base_url}/status?language=%3Cb%3E&within=2y&rule=kyiv")
    assert response.status_code == 400
    text = " ".join(page.text["stories"].split())
    assert "language: not a language code such as ar, ru or en; ignored" in text
    assert "seen within: not one of the offered windows; ignored" in text
    assert len(page.of_class("story")) == 1  # the rule still applies


async def test_older_pages_walk_every_story_once_with_the_filters_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status_view, "STORY_LIMIT", 2)
    seen: list[list[str]] = []
    async with story_world(tmp_path) as world, httpx.AsyncClient() as client:
        url: str | None = world.url + "?within=30d"
        while url:
            page = Rows((await client.get(url)).text)
            seen.append(page.story_links.get("stories", []))
            older = [attrs["href"] for tag, attrs in page.tags if attrs.get("class") == "older"]
            assert all("within=30d" in str(link) for link in older)
            url = world.listener.url + str(older[0]) if older else None
    assert seen == [["s_hostile", STORY], ["s_kyiv", "s_homs_old"]]


@pytest.mark.parametrize(("header", "status"), [(None, 401), ("Bearer s3cret", 200)])
async def test_story_pages_keep_the_listeners_token(
    tmp_path: Path, header: str | None, status: int
) -> None:
    config_path = tmp_path / "ww.toml"
    config_path.write_text(f'[store]\npath = "{tmp_path / "ww.db"}"\n')
    daemon = await Daemon.build(load_config(config_path))
    listener = HttpListener(token="s3cret")
    install_status_page(listener, daemon.status_source)
    await listener.start()
    try:
        headers = {"authorization": header} if header else {}
        async with httpx.AsyncClient(base_url=listener.url, headers=headers) as client:
            answers = [await client.get(path) for path in ("/stories/x", "/status?q=x")]
    finally:
        await listener.stop()
        await daemon.close()
    assert [answer.status_code for answer in answers] == [
        status if status == 401 else 404,
        status,
    ]
