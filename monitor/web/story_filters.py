"""The status page's story filters: its GET form's fields, read from a request's query.

``/status?q=…&rule=…&language=…&within=…&from=…&to=…&after=…``: a text search, a rule
that alerted, an article language, a time window (the last hour … 30 days, and/or UTC
dates from and to, both included) and the page after a cursor. A field that does not
parse is named in ``problems`` and left out of the query, so a bad link still shows a
page; the caller answers 400 then. What the form shows back is the text as it came
(escaped by the template); only parsed values reach the story read model's
``StoryQuery`` (``monitor.api.stories``, what the JSON API's story list takes too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from pydantic import ValidationError

from monitor.api import ApiError, StoryQuery, decode_cursor
from monitor.web.segments import language_attribute

MAX_TEXT = 200  # characters of search text
MAX_NAME = 200  # characters of a rule name
MAX_LANGUAGE = 20  # characters of a language tag
WITHIN = {
    "1h": ("the last hour", timedelta(hours=1)),
    "6h": ("the last 6 hours", timedelta(hours=6)),
    "24h": ("the last day", timedelta(days=1)),
    "7d": ("the last 7 days", timedelta(days=7)),
    "30d": ("the last 30 days", timedelta(days=30)),
}
# The query's fields, in the order a link to another page of the list repeats them.
FIELDS = ("q", "rule", "language", "within", "from", "to")


@dataclass(frozen=True, slots=True)
class StoryFilters:
    """The form's state: what was asked (as text), what it became, what did not parse."""

    text: str = ""
    rule: str = ""
    language: str = ""
    within: str = ""
    start: str = ""  # "from", a date as YYYY-MM-DD
    end: str = ""  # "to"
    after: str = ""  # the cursor of the page shown, "" for the first
    query: StoryQuery = field(default_factory=StoryQuery)
    problems: tuple[str, ...] = ()
    rule_choices: tuple[str, ...] = ()
    language_choices: tuple[str, ...] = ()
    max_text: int = MAX_TEXT
    within_choices: tuple[tuple[str, str], ...] = tuple(
        (value, label) for value, (label, _) in WITHIN.items()
    )

    @property
    def active(self) -> bool:
        return any(self.query_fields().values()) or bool(self.after)

    def query_fields(self) -> dict[str, str]:
        values = (self.text, self.rule, self.language, self.within, self.start, self.end)
        return dict(zip(FIELDS, values, strict=True))

    def page_after(self, cursor: str) -> str:
        """The status page's link to the stories after ``cursor``, these filters kept."""
        kept = {name: value for name, value in self.query_fields().items() if value}
        return "/status?" + urlencode({**kept, "after": cursor}) + "#stories"

    def with_rules(self, names: Sequence[str]) -> StoryFilters:
        """Offer ``names`` in the rule list (and the rule asked for, though unknown)."""
        choices = tuple(dict.fromkeys([*names, *([self.rule] if self.rule else [])]))
        return replace(self, rule_choices=choices)

    def with_languages(self, codes: Sequence[str]) -> StoryFilters:
        """Offer ``codes`` in the language list, sorted (and the language asked for, though
        no stored article is in it: a link keeps its filter)."""
        asked = [self.query.language] if self.query.language else []
        return replace(self, language_choices=tuple(sorted({*codes, *asked})))


def parse_filters(query: Mapping[str, str], now: datetime) -> StoryFilters:
    """The filters ``query`` asks for, relative to ``now``."""
    given = {name: query.get(name, "").strip() for name in (*FIELDS, "after")}
    problems: list[str] = []
    since, until = _window(given, now, problems)
    asked = {
        "q": _capped(given["q"], MAX_TEXT, "search text", problems),
        "rule": _capped(given["rule"], MAX_NAME, "rule", problems),
        "language": _language(given["language"], problems),
        "since": since, "until": until, "cursor": _cursor(given["after"], problems),
    }  # fmt: skip
    return StoryFilters(
        text=given["q"], rule=given["rule"], language=given["language"],
        within=given["within"], start=given["from"], end=given["to"], after=given["after"],
        query=_story_query(asked, problems), problems=tuple(problems),
    )  # fmt: skip


def _story_query(asked: Mapping[str, object], problems: list[str]) -> StoryQuery:
    try:
        return StoryQuery.model_validate(asked)
    except ValidationError:  # checked above field by field; kept as a guard
        problems.append("filters: not accepted; showing every story")
        return StoryQuery()


def _capped(value: str, limit: int, name: str, problems: list[str]) -> str:
    if len(value) <= limit:
        return value
    problems.append(f"{name}: longer than {limit} characters; ignored")
    return ""


def _language(value: str, problems: list[str]) -> str:
    if not value or (len(value) <= MAX_LANGUAGE and language_attribute(value)):
        return value.lower()
    problems.append("language: not a language code such as ar, ru or en; ignored")
    return ""


def _window(
    given: Mapping[str, str], now: datetime, problems: list[str]
) -> tuple[datetime | None, datetime | None]:
    """(last seen at or after, first seen before) from ``within``, ``from`` and ``to``."""
    since: list[datetime] = []
    if given["within"] in WITHIN:
        since.append(now - WITHIN[given["within"]][1])
    elif given["within"]:
        problems.append("seen within: not one of the offered windows; ignored")
    start, end = _date(given["from"], "from", problems), _date(given["to"], "to", problems)
    if start is not None:
        since.append(datetime.combine(start, time(), UTC))
    return (max(since) if since else None), _day_after(end)


def _day_after(day: date | None) -> datetime | None:
    """The start of the day after ``day`` (UTC); None for none, or past the calendar."""
    if day is None or day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def _date(value: str, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name}: not a date as YYYY-MM-DD; ignored")
        return None


def _cursor(value: str, problems: list[str]) -> str | None:
    if not value:
        return None
    try:
        decode_cursor(value)
    except ApiError:
        problems.append("page: not a cursor this page gave; showing the first page")
        return None
    return value
