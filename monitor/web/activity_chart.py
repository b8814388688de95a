"""A rule's last seven days as a small bar chart, drawn on the server as inline SVG.

No script and no fetch: the SVG is markup in the page, so the status page's
Content-Security-Policy (no script, nothing loaded) holds. Every text in it (the rule's
name, the bars' tooltips) is escaped here, since the template prints it as markup.
One bar per six UTC hours, 28 bars; each bar carries a ``<title>`` (its hours and count,
what a screen reader and a hover show) and the chart an ``aria-label`` summing it up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

BUCKET = timedelta(hours=6)
BUCKETS = 28  # seven days
BAR_WIDTH, GAP, HEIGHT = 6, 1, 32  # pixels
_BAR_COLOUR, _EMPTY_COLOUR = "#36c", "#ccc"


@dataclass(frozen=True, slots=True)
class Bar:
    start: datetime  # UTC
    stories: int


@dataclass(frozen=True, slots=True)
class RuleActivity:
    """One rule's row on the status page: its bars, their total and the chart."""

    rule: str
    bars: tuple[Bar, ...]
    chart: Markup

    @property
    def total(self) -> int:
        return sum(bar.stories for bar in self.bars)


def first_bucket(now: datetime) -> datetime:
    """The start of the oldest bar: the current six hours are the last bar."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    current -= timedelta(hours=current.hour % 6)
    return current - BUCKET * (BUCKETS - 1)


def bars(hours: Iterable[tuple[datetime, int]], now: datetime) -> tuple[Bar, ...]:
    """Hourly counts summed into the 28 six-hour bars ending now; hours outside dropped."""
    start = first_bucket(now)
    counts = [0] * BUCKETS
    for hour, stories in hours:
        index = int((hour - start) // BUCKET)
        if 0 <= index < BUCKETS:
            counts[index] += stories
    return tuple(Bar(start + BUCKET * index, count) for index, count in enumerate(counts))


def rule_activity(rule: str, hours: Iterable[tuple[datetime, int]], now: datetime) -> RuleActivity:
    found = bars(hours, now)
    return RuleActivity(rule, found, chart_svg(rule, found))


def chart_svg(rule: str, found: Sequence[Bar]) -> Markup:
    """The bars as an ``<svg>`` element; an empty week draws a flat grey baseline."""
    width = len(found) * (BAR_WIDTH + GAP)
    peak = max((bar.stories for bar in found), default=0)
    label = escape(_summary(rule, found, peak))
    parts = [
        f'<svg class="activity" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" role="img" aria-label="{label}">',
        f"<title>{label}</title>",
        *(_bar(index, bar, peak) for index, bar in enumerate(found)),
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def _bar(index: int, bar: Bar, peak: int) -> str:
    height = max(1, round((HEIGHT - 1) * bar.stories / peak)) if bar.stories else 1
    colour = _BAR_COLOUR if bar.stories else _EMPTY_COLOUR
    tip = escape(f"{_span(bar.start)}: {_stories(bar.stories)}")
    x, y = index * (BAR_WIDTH + GAP), HEIGHT - height
    return (
        f'<rect x="{x}" y="{y}" width="{BAR_WIDTH}" height="{height}" fill="{colour}">'
        f"<title>{tip}</title></rect>"
    )


def _summary(rule: str, found: Sequence[Bar], peak: int) -> str:
    total = sum(bar.stories for bar in found)
    if not total:
        return f"{rule}: no matching stories in the last 7 days"
    return f"{rule}: {_stories(total)} in the last 7 days, at most {peak} in six hours"


def _span(start: datetime) -> str:
    end = start + BUCKET
    return f"{start:%Y-%m-%d %H}:00–{end:%H}:00 UTC"


def _stories(count: int) -> str:
    return f"{count} {'story' if count == 1 else 'stories'}"
