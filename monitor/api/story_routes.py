"""``/stories`` and ``/alerts``: the stories found and the alerts raised on them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.api.models import Alert, AlertPage, PagedQuery, Severity, StoryDetail, StoryPage
from monitor.api.paging import UtcTime, decode_cursor, next_cursor
from monitor.api.problems import not_found
from monitor.api.routing import Call, Endpoint, Reply
from monitor.api.source import ApiSource
from monitor.api.stories import StoryQuery, list_stories, story_detail
from monitor.store import AlertFilter


class AlertQuery(PagedQuery):
    rule: str = Field("", max_length=200)
    story_id: str = Field("", max_length=200)
    severity: Severity | None = None
    state: Literal["pending", "sent", "dead", "silenced"] | None = Field(
        None, description="having a delivery in this state"
    )
    since: UtcTime | None = Field(None, description="raised at or after")
    until: UtcTime | None = Field(None, description="raised before")

    def store_filter(self) -> AlertFilter:
        return AlertFilter(rule=self.rule, story_id=self.story_id, severity=self.severity or "",
                           state=self.state or "", since=self.since, until=self.until)  # fmt: skip


def story_endpoints(source: ApiSource) -> list[Endpoint]:
    async def list_stories_(call: Call) -> Reply:
        return Reply(await list_stories(source.store, call.query))

    async def get_story(call: Call) -> Reply:
        story_id = str(call.path["story_id"])
        detail = await story_detail(source.store, story_id)
        if detail is None:
            raise not_found("story", story_id)
        return Reply(detail)

    async def list_alerts(call: Call) -> Reply:
        query: AlertQuery = call.query
        after = decode_cursor(query.cursor) if query.cursor else None
        found = await source.store.find_alerts(query.store_filter(), after=after,
                                               limit=query.limit + 1)  # fmt: skip
        items = [Alert.from_listing(listing) for listing in found[: query.limit]]
        cursor = next_cursor(found, query.limit,
                             lambda item: (item.alert.created_at, item.alert.alert_id))  # fmt: skip
        return Reply(AlertPage(items=items, next_cursor=cursor))

    async def get_alert(call: Call) -> Reply:
        alert_id = str(call.path["alert_id"])
        found = await source.store.find_alerts(AlertFilter(alert_id=alert_id), limit=1)
        if not found:
            raise not_found("alert", alert_id)
        return Reply(Alert.from_listing(found[0]))

    list_stories_.__name__ = "list_stories"
    return [
        Endpoint("GET", "/stories", list_stories_, "List stories", "stories", StoryPage,
                 query=StoryQuery),
        Endpoint("GET", "/stories/{story_id}", get_story, "One story with its articles, "
                 "outlets, languages, matched rules and alert history", "stories",
                 StoryDetail),
        Endpoint("GET", "/alerts", list_alerts, "List alerts", "alerts", AlertPage,
                 query=AlertQuery),
        Endpoint("GET", "/alerts/{alert_id}", get_alert, "One alert with each delivery",
                 "alerts", Alert),
    ]  # fmt: skip
