"""The status page's story filters: what each query field becomes, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.api import StoryQuery
from monitor.api.paging import encode_cursor
from monitor.web.story_filters import StoryFilters, parse_filters

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CURSOR = encode_cursor((datetime(2026, 2, 28, 9, 30, tzinfo=UTC), "s_1"))


@pytest.mark.parametrize(
    ("query", "chosen"),
    [
        ({}, StoryQuery()),
        ({"q": "  حزب الله "}, StoryQuery(q="حزب الله")),
        ({"rule": "iran-in-syria"}, StoryQuery(rule="iran-in-syria")),
        ({"language": "AR"}, StoryQuery(language="ar")),
        ({"language": "zh-Hant"}, StoryQuery(language="zh-hant")),
        ({"within": "6h"}, StoryQuery(since=NOW - timedelta(hours=6))),
        ({"from": "2026-02-20"}, StoryQuery(since=datetime(2026, 2, 20, tzinfo=UTC))),
        ({"to": "2026-02-20"}, StoryQuery(until=datetime(2026, 2, 21, tzinfo=UTC))),
        ({"to": "9999-12-31"}, StoryQuery()),  # past the calendar: no upper bound
        # both a window and a start date: the later of the two
        ({"within": "30d", "from": "2026-02-27"},
         StoryQuery(since=datetime(2026, 2, 27, tzinfo=UTC))),
        ({"within": "1h", "from": "2026-01-01"}, StoryQuery(since=NOW - timedelta(hours=1))),
    ],
)  # fmt: skip
def test_each_field_becomes_the_read_models_query(
    query: dict[str, str], chosen: StoryQuery
) -> None:
    parsed = parse_filters(query, NOW)
    assert (parsed.query, parsed.problems) == (chosen, ())


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"q": "x" * 201}, "search text: longer than 200 characters; ignored"),
        ({"rule": "r" * 201}, "rule: longer than 200 characters; ignored"),
        ({"language": "<b>"}, "language: not a language code such as ar, ru or en; ignored"),
        ({"language": "a"}, "language: not a language code such as ar, ru or en; ignored"),
        (
            {"language": "en-" + "x" * 20},
            "language: not a language code such as ar, ru or en; ignored",
        ),
        ({"within": "2y"}, "seen within: not one of the offered windows; ignored"),
        ({"from": "2026-13-01"}, "from: not a date as YYYY-MM-DD; ignored"),
        ({"to": "yesterday"}, "to: not a date as YYYY-MM-DD; ignored"),
        ({"after": "forged"}, "page: not a cursor this page gave; showing the first page"),
        ({"after": "<b>"}, "page: not a cursor this page gave; showing the first page"),
    ],
)
def test_a_field_that_does_not_parse_is_named_and_left_out(
    query: dict[str, str], problem: str
) -> None:
    parsed = parse_filters(query, NOW)
    assert parsed.problems == (problem,)
    assert parsed.query == StoryQuery()


def test_the_form_shows_back_what_was_asked_even_when_refused() -> None:
    parsed = parse_filters({"language": "<b>", "from": "soon", "q": "Homs"}, NOW)
    assert (parsed.language, parsed.start, parsed.text) == ("<b>", "soon", "Homs")
    assert parsed.active


def test_a_cursor_pages_on_and_the_next_link_keeps_the_filters() -> None:
    parsed = parse_filters({"q": "حزب", "rule": "r", "after": CURSOR}, NOW)
    assert parsed.query == StoryQuery(q="حزب", rule="r", cursor=CURSOR)
    link = parsed.page_after("next")
    assert link == "/status?q=%D8%AD%D8%B2%D8%A8&rule=r&after=next#stories"


def test_no_filter_is_not_active_and_the_rule_list_offers_each_rule_once() -> None:
    assert not StoryFilters().active
    offered = StoryFilters(rule="gone-rule").with_rules(["a", "b", "a"]).rule_choices
    assert offered == ("a", "b", "gone-rule")
