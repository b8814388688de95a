"""The API's resources as pydantic models: what is served, and (through them) what the
OpenAPI document says is served. Built from the store's records by ``from_*``
constructors; times are UTC (``UtcTime``); feed URLs lose any credentials."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.api.paging import DEFAULT_LIMIT, MAX_LIMIT, UtcTime
from monitor.observability import redact_url
from monitor.records import Delivery as DeliveryRecord
from monitor.records import Feedback
from monitor.store import AlertListing, StoryArticle, StorySummary

Severity = Literal["low", "medium", "high", "critical"]
DeliveryStateName = Literal["pending", "sent", "dead", "silenced"]


class QueryModel(BaseModel):
    """Query parameters: an unknown one is an error (a misspelt filter would otherwise
    silently match everything)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PagedQuery(QueryModel):
    cursor: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]+$", max_length=2000,
                               description="next_cursor of the previous page")  # fmt: skip
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="items per page")


class Article(BaseModel):
    article_id: str
    feed: str = Field(description="the feed's name")
    feed_url: str
    outlet: str = Field(description="the feed URL, or wire:<agency> for a syndicated copy")
    link: str
    title: str
    summary: str
    language: str = Field(description="ISO 639-1 code, empty when it could not be told")
    author: str
    published: UtcTime | None
    fetched_at: UtcTime

    @classmethod
    def from_record(cls, record: StoryArticle) -> Article:
        outlet = record.outlet if record.outlet.startswith("wire:") else redact_url(record.outlet)
        return cls(
            article_id=record.article_id, feed=record.feed_name,
            feed_url=redact_url(record.feed_url), outlet=outlet, link=record.link,
            title=record.title, summary=record.summary, language=record.language,
            author=record.author, published=record.published, fetched_at=record.fetched_at,
        )  # fmt: skip


class Story(BaseModel):
    """A story as lists show it: its first article, how far it spread, which rules hit."""

    story_id: str
    title: str
    link: str = Field(description="the first article's link")
    summary: str
    feed: str = Field(description="the first article's feed")
    language: str
    article_count: int
    outlet_count: int
    first_seen: UtcTime
    last_seen: UtcTime
    rules: list[str] = Field(description="rules that alerted on the story, by name")

    @classmethod
    def from_summary(cls, story: StorySummary, rules: list[str]) -> Story:
        return cls(
            story_id=story.story_id, title=story.title, link=story.link,
            summary=story.summary, feed=story.feed_name, language=story.language,
            article_count=story.article_count, outlet_count=story.outlets,
            first_seen=story.first_seen, last_seen=story.last_seen, rules=rules,
        )  # fmt: skip


class Delivery(BaseModel):
    notifier: str
    state: DeliveryStateName
    attempts: int
    next_attempt_at: UtcTime
    hold: str | None
    last_error: str | None
    batch_id: str | None

    @classmethod
    def from_record(cls, record: DeliveryRecord) -> Delivery:
        return cls(
            notifier=record.notifier, state=record.state.value, attempts=record.attempts,
            next_attempt_at=record.next_attempt_at, hold=record.hold,
            last_error=record.last_error, batch_id=record.batch_id,
        )  # fmt: skip


class Verdict(BaseModel):
    """A reader's judgement of an alert."""

    verdict: Literal["useful", "false_positive", "duplicate"]
    note: str
    judged_by: str = Field(description='an API token\'s name, "cli" or "link"')
    judged_at: UtcTime

    @classmethod
    def from_record(cls, record: Feedback) -> Verdict:
        return cls(verdict=record.verdict.value, note=record.note, judged_by=record.judged_by,
                   judged_at=record.judged_at)  # fmt: skip


class Alert(BaseModel):
    alert_id: str
    story_id: str
    rule: str
    severity: Severity
    event: str = Field(description='"new", or the change an update reports')
    surge_id: str | None = Field(description="the surge a surge's alert carries")
    reason: str
    terms: list[str] = Field(description="the rule's terms the story matched")
    outlet_count: int = Field(description="outlets that had reported it when raised")
    title: str
    created_at: UtcTime
    deliveries: list[Delivery]
    verdict: Verdict | None = Field(description="the latest verdict, null before any")
    feedback: list[Verdict] = Field(description="every verdict, oldest first")

    @classmethod
    def from_listing(cls, listing: AlertListing) -> Alert:
        alert = listing.alert
        return cls(
            alert_id=alert.alert_id, story_id=alert.story_id, rule=alert.rule,
            severity=alert.severity.value, event="new" if alert.is_surge else alert.event,
            surge_id=alert.surge_id, reason=alert.reason, terms=list(alert.terms),
            outlet_count=alert.outlets, title=listing.title, created_at=alert.created_at,
            deliveries=[Delivery.from_record(item) for item in listing.deliveries],
            verdict=Verdict.from_record(listing.verdict) if listing.verdict else None,
            feedback=[Verdict.from_record(item) for item in listing.feedback],
        )  # fmt: skip


class Outlet(BaseModel):
    outlet: str
    feeds: list[str] = Field(description="names of the feeds it reported through")
    articles: int


class RuleMatch(BaseModel):
    """A rule that alerted on a story, over all its alerts on it."""

    rule: str
    severity: Severity = Field(description="the highest severity it alerted with")
    terms: list[str]
    first_alert_at: UtcTime
    alerts: int


class StoryDetail(Story):
    """One story with everything kept of it."""

    outlets: list[Outlet]
    languages: list[str]
    matches: list[RuleMatch]
    articles: list[Article] = Field(description="in the order they were fetched")
    alerts: list[Alert] = Field(description="oldest first, each with its deliveries")


class StoryPage(BaseModel):
    items: list[Story]
    next_cursor: str | None


class AlertPage(BaseModel):
    items: list[Alert]
    next_cursor: str | None
