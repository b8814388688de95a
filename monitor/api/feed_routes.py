"""``/feeds``: each configured feed's health, as ``wirewatch feeds --json`` shows it.

:func:`feed_record` is the one description of a feed's health as JSON; the command
prints it, the API serves it through :class:`Feed` (times in UTC with a "Z").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from monitor.api.paging import UtcTime
from monitor.api.routing import Call, Endpoint, Reply
from monitor.api.source import ApiSource
from monitor.config import FeedSettings
from monitor.feeds import feed_health
from monitor.observability import redact_url
from monitor.records import FeedState
from monitor.store import FeedLeases, Store


def feed_record(
    feed: FeedSettings, state: FeedState | None, polled_by: str | None = None
) -> dict[str, Any]:
    """One feed's health as plain JSON values (times in ISO 8601, UTC); ``polled_by``:
    the daemon holding its lease on a shared PostgreSQL store (polling it now)."""
    state = state or FeedState(url=feed.url)
    return {
        "feed": feed.display_name,
        "url": redact_url(feed.url),
        "status": str(feed_health(feed, state)),
        "last_attempt": _iso(state.last_polled),
        "last_success": _iso(state.last_success),
        "consecutive_failures": state.error_count,
        "failing_since": _iso(state.failing_since),
        "http_status": state.last_status,
        "items_per_day": None if state.items_per_day is None else round(state.items_per_day, 2),
        "interval_seconds": None if state.interval is None else round(state.interval),
        "next_poll": _iso(state.next_poll),
        "moved_to": redact_url(state.moved_to) if state.moved_to else None,
        "disabled": state.disabled,
        "slow": state.slow,  # its last fetch outlasted host_slow_after: a slow place next
        "last_error": state.last_error,
        "polled_by": polled_by,
        "pages_tried": state.pages_tried,  # article pages asked for since the feed was added
        "pages_read": state.pages_read,  # of them, those that gave the article's text
        "page_last_issue": state.page_last_issue,  # why the last unread one failed
    }


async def feed_states(store: Store) -> tuple[dict[str, FeedState], dict[str, str]]:
    """Every feed's stored state, and who holds the leases (a shared PostgreSQL store)."""
    owners = await store.lease_owners() if isinstance(store, FeedLeases) else {}
    return {state.url: state for state in await store.feed_states()}, owners


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


class Feed(BaseModel):
    feed: str = Field(description="its name, else its URL without credentials")
    url: str = Field(description="without credentials")
    status: Literal["ok", "failing", "gone", "disabled", "never polled", "not configured"]
    last_attempt: UtcTime | None
    last_success: UtcTime | None
    consecutive_failures: int
    failing_since: UtcTime | None
    http_status: int | None
    items_per_day: float | None
    interval_seconds: int | None
    next_poll: UtcTime | None
    moved_to: str | None
    disabled: str | None = Field(description="why polling stopped, when it did")
    slow: bool
    last_error: str | None
    polled_by: str | None = Field(description="the daemon polling it (a shared store)")
    pages_tried: int
    pages_read: int
    page_last_issue: str | None


class FeedList(BaseModel):
    items: list[Feed]


def feed_endpoints(source: ApiSource) -> list[Endpoint]:
    async def list_feeds(_call: Call) -> Reply:
        states, owners = await feed_states(source.store)
        feeds = source.config().settings.feeds
        items = [Feed.model_validate(feed_record(feed, states.get(feed.url), owners.get(feed.url)))
                 for feed in feeds]  # fmt: skip
        return Reply(FeedList(items=items))

    return [Endpoint("GET", "/feeds", list_feeds, "Each configured feed's health", "feeds",
                     FeedList)]  # fmt: skip
