"""The story read model on both stores: filters, text search in any script, keyset paging,
and one story with every article, outlet, language, rule and alert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitor.api import StoryQuery, list_stories, story_detail
from monitor.api.paging import decode_cursor
from monitor.api.problems import ApiError
from monitor.store import Store
from tests.support.api_world import STORIES, seed
from tests.support.stores import STORE_BACKENDS, opened_store

ALL = [story.story_id for story in sorted(STORIES, key=lambda s: s.hours_ago)]


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as opened:
        await seed(opened)
        yield opened


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ALL[:50]),
        ({"rule": "homs"}, ["s_latakia", "s_homs"]),
        ({"rule": "hezbollah-syria"}, ["s_latakia"]),
        ({"rule": "nope"}, []),
        ({"language": "ar"}, ["s_latakia"]),
        ({"language": "ru"}, ["s_latakia", "s_homs"]),
        ({"outlet": "Moscow Wire"}, ["s_latakia", "s_homs"]),
        ({"outlet": "https://levant.example/feed.xml", "rule": "homs"}, ["s_latakia"]),
        ({"q": "ХОМСЕ"}, ["s_homs"]),  # Cyrillic, any case
        ({"q": "стражи"}, ["s_homs"]),
        ({"q": "حزب الله"}, ["s_latakia"]),  # Arabic, found in the second article
        ({"q": "hezbollah"}, ["s_latakia"]),
        ({"q": "100%"}, []),  # % is literal, not a wildcard
        ({"q": "Market_report"}, []),  # so is _
        ({"since": "2026-03-02T08:00:00Z"}, ["s_latakia", "s_homs"]),
        ({"until": "2026-03-02T10:00:00+01:00"}, ALL[2:]),  # 09:00 UTC: before s_homs
        ({"since": "2026-03-02T08:00:00", "until": "2026-03-02T10:00:00"}, ["s_homs"]),
    ],
)
async def test_filters_pick_stories(
    store: Store, filters: dict[str, str], expected: list[str]
) -> None:
    page = await list_stories(store, StoryQuery.model_validate(filters))
    assert [story.story_id for story in page.items] == expected


async def test_pages_follow_each_other_without_gaps_or_repeats(store: Store) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "5"} | ({"cursor": cursor} if cursor else {})
        page = await list_stories(store, StoryQuery.model_validate(query))
        seen += [story.story_id for story in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
        assert decode_cursor(cursor)[1] == page.items[-1].story_id
    assert seen == ALL
    assert pages == 3  # 14 stories: 5 + 5 + 4


async def test_a_page_lists_the_rules_that_alerted(store: Store) -> None:
    page = await list_stories(store, StoryQuery(limit=2))
    assert [story.rules for story in page.items] == [["hezbollah-syria", "homs"], ["homs"]]


async def test_a_bad_cursor_is_a_problem_naming_it(store: Store) -> None:
    with pytest.raises(ApiError) as raised:
        await list_stories(store, StoryQuery(cursor="not-a-cursor"))
    assert raised.value.status == 400
    assert [error.name for error in raised.value.errors] == ["cursor"]


async def test_one_story_has_every_article_outlet_language_rule_and_alert(store: Store) -> None:
    story = await story_detail(store, "s_latakia")
    assert story is not None
    assert [article.article_id for article in story.articles] == ["a_l1", "a_l2", "a_l3"]
    assert [article.language for article in story.articles] == ["en", "ar", "ru"]
    assert story.languages == ["ar", "en", "ru"]
    assert [(o.outlet, o.feeds, o.articles) for o in story.outlets] == [
        ("https://levant.example/feed.xml", ["Levant Desk"], 2),
        ("https://moscow.example/rss", ["Moscow Wire"], 1),  # the password is not shown
    ]
    assert [(m.rule, m.severity, m.terms) for m in story.matches] == [
        ("hezbollah-syria", "high", ["Hezbollah", "Latakia"]),
        ("homs", "low", ["Latakia"]),
    ]
    assert [alert.alert_id for alert in story.alerts] == ["al_l1", "al_l2"]  # oldest first
    assert [[d.notifier for d in alert.deliveries] for alert in story.alerts] == [["hook"]] * 2
    assert "hunter2" not in story.model_dump_json()


async def test_an_unknown_story_is_none(store: Store) -> None:
    assert await story_detail(store, "s_nope") is None
