"""The status page's per-rule chart: six-hour bars over seven days, drawn as escaped SVG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from monitor.web.activity_chart import BUCKETS, HEIGHT, bars, chart_svg, first_bucket, rule_activity

NOW = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
START = datetime(2026, 11, 17, 18, 0, tzinfo=UTC)  # 27 six-hour bars before 12:00 today


class Svg(HTMLParser):
    """Every tag with its attributes, and each <title>'s text, as a browser would read them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.titles: list[str] = []
        self._in_title = False
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles.append(data)

    def heights(self) -> list[int]:
        return [int(attrs["height"] or 0) for tag, attrs in self.tags if tag == "rect"]


def test_the_last_bar_holds_now_and_the_first_starts_27_bars_before() -> None:
    assert first_bucket(NOW) == START
    assert first_bucket(datetime(2026, 11, 24, 18, 0, tzinfo=UTC)) == START + timedelta(hours=6)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ([], {}),
        ([(NOW.replace(minute=0), 3)], {27: 3}),
        ([(START, 1), (START + timedelta(hours=5), 2), (START + timedelta(hours=6), 4)],
         {0: 3, 1: 4}),
        ([(START - timedelta(hours=1), 9), (NOW + timedelta(hours=6), 9)], {}),  # outside
    ],
    ids=["empty", "this-hour", "summed-per-six-hours", "outside-dropped"],
)  # fmt: skip
def test_hours_are_summed_into_six_hour_bars(
    hours: list[tuple[datetime, int]], expected: dict[int, int]
) -> None:
    found = bars(hours, NOW)
    assert len(found) == BUCKETS
    assert [bar.start for bar in found] == [START + timedelta(hours=6 * n) for n in range(BUCKETS)]
    assert {index: bar.stories for index, bar in enumerate(found) if bar.stories} == expected


@pytest.mark.parametrize(
    ("hours", "label", "heights"),
    [
        ([], "watch: no matching stories in the last 7 days", [1] * BUCKETS),
        ([(START + timedelta(days=1), 4)],
         "watch: 4 stories in the last 7 days, at most 4 in six hours",
         [1] * 4 + [HEIGHT - 1] + [1] * 23),
        ([(START, 1), (NOW, 30)],  # a spike: the small day stays visible, the spike tops out
         "watch: 31 stories in the last 7 days, at most 30 in six hours",
         [1] + [1] * 26 + [HEIGHT - 1]),
        ([(START, 10), (START + timedelta(hours=6), 5)],
         "watch: 15 stories in the last 7 days, at most 10 in six hours",
         [HEIGHT - 1, 16] + [1] * 26),
    ],
    ids=["empty", "one-day", "spike", "half"],
)  # fmt: skip
def test_bars_scale_to_the_weeks_peak(
    hours: list[tuple[datetime, int]], label: str, heights: list[int]
) -> None:
    svg = Svg(rule_activity("watch", hours, NOW).chart)
    (root,) = [attrs for tag, attrs in svg.tags if tag == "svg"]
    assert (root["role"], root["aria-label"]) == ("img", label)
    assert svg.titles[0] == label
    assert svg.heights() == heights


def test_each_bar_says_its_hours_and_count() -> None:
    svg = Svg(rule_activity("watch", [(START, 1), (NOW, 2)], NOW).chart)
    assert svg.titles[1] == "2026-11-17 18:00–00:00 UTC: 1 story"
    assert svg.titles[2] == "2026-11-18 00:00–06:00 UTC: 0 stories"
    assert svg.titles[-1] == "2026-11-24 12:00–18:00 UTC: 2 stories"


HOSTILE_NAMES = [
    "<script>window.pwned=1</script>",
    '" onload="window.pwned=1',
    "' onmouseover='window.pwned=1",
    "</title></svg><img src=x onerror=window.pwned=1>",
    "&amp; &lt;b&gt;",
    "ایران-در-سوریه",
    "Россия «война»",
]


@pytest.mark.parametrize("rule", HOSTILE_NAMES)
def test_rule_names_are_text_in_the_chart(rule: str) -> None:
    markup = str(chart_svg(rule, bars([(NOW, 1)], NOW)))
    svg = Svg(markup)
    assert {tag for tag, _ in svg.tags} == {"svg", "title", "rect"}
    names = {name for _, attrs in svg.tags for name in attrs}
    assert names <= {"class", "xmlns", "width", "height", "viewbox", "role", "aria-label",
                     "x", "y", "fill"}  # fmt: skip
    assert svg.titles[0].startswith(f"{rule}: 1 story")
    (root,) = [attrs for tag, attrs in svg.tags if tag == "svg"]
    assert (root["aria-label"] or "").startswith(rule)
