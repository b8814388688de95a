"""``/surges``: surges that fired, and what is rising now, as ``wirewatch surges --json``.

:func:`surge_record` is the one description of a surge as JSON (the command prints it,
the API serves it through :class:`SurgeItem`); :func:`rising_now` reads what is rising
from the detector state the daemon last saved.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import structlog
from pydantic import BaseModel, Field

from monitor.api.models import QueryModel
from monitor.api.paging import UtcTime
from monitor.api.routing import Call, Endpoint, Reply
from monitor.api.source import ApiSource
from monitor.config import Config
from monitor.records import surge_rule
from monitor.store import Store
from monitor.surges import Rising, Surge, SurgeDetector, SurgeStateError

log = structlog.get_logger("monitor.api.surge_routes")
DEFAULT_SPAN = timedelta(hours=24)


class ListedState(StrEnum):
    """A listed surge's ``state``."""

    FIRED = "fired"  # recorded by the daemon
    RISING = "rising"  # above its baseline now, not (yet) a surge
    WOULD_FIRE = "would_fire"  # what ``surges backtest`` would have fired


def surge_record(state: ListedState, surge: Surge | Rising) -> dict[str, Any]:
    """The JSON object of one surge: every field present, None where it does not apply
    (a rising key has no id, window or evidence yet)."""
    fired = surge if isinstance(surge, Surge) else None
    folded = surge.folded_into if isinstance(surge, Rising) else None
    return {
        "state": state,
        "surge_id": fired.surge_id if fired else None,
        "kind": surge.kind.value,
        "key": surge.key,
        "label": surge.label,
        "rule": surge_rule(surge.kind.value, surge.key),
        "count": surge.count,
        "expected": round(surge.expected, 3),
        "score": round(surge.score, 2),
        "outlets": fired.outlets if fired else None,
        "window_start": _iso(fired.window_start) if fired else None,
        "window_end": _iso(fired.window_end) if fired else None,
        "fired_at": _iso(fired.fired_at) if fired else None,
        "top_stories": [
            {"story_id": story_id, "title": title, "outlets": outlets}
            for story_id, title, outlets in (fired.top_stories if fired else ())
        ],
        "top_outlets": list(fired.top_outlets) if fired else [],
        "folded_into": {"story_id": folded[0], "title": folded[1]} if folded else None,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


async def rising_now(config: Config, store: Store, now: datetime) -> list[Rising]:
    """What the daemon's last saved detector state says is rising now ([] when no state
    is saved); ``SurgeStateError`` when the saved state cannot be read."""
    state = await store.load_surge_state(config.settings.daemon.instance)
    if state is None:
        return []
    return SurgeDetector(config.settings.surge, state).rising(now)


class TopStory(BaseModel):
    story_id: str
    title: str
    outlets: int


class FoldedInto(BaseModel):
    story_id: str
    title: str


class SurgeItem(BaseModel):
    state: Literal["fired", "rising", "would_fire"]
    surge_id: str | None
    kind: Literal["story", "rule", "name"]
    key: str
    label: str
    rule: str = Field(description="the rule name its alerts carry (silences match it)")
    count: int
    expected: float
    score: float
    outlets: int | None
    window_start: UtcTime | None
    window_end: UtcTime | None
    fired_at: UtcTime | None
    top_stories: list[TopStory]
    top_outlets: list[str]
    folded_into: FoldedInto | None = Field(
        None, description="a rising rule or name mostly one story's: that story's surge "
        "would carry it (it does not fire itself)",
    )  # fmt: skip


class SurgeList(BaseModel):
    items: list[SurgeItem] = Field(description="fired ones oldest first, then rising ones")


class SurgeQuery(QueryModel):
    since: UtcTime | None = Field(None, description="fired at or after (default: a day ago)")


def surge_endpoints(source: ApiSource) -> list[Endpoint]:
    async def list_surges(call: Call) -> Reply:
        query: SurgeQuery = call.query
        since = query.since or call.now - DEFAULT_SPAN
        fired = await source.store.list_surges(since)
        try:
            rising = await rising_now(source.config(), source.store, call.now)
        except SurgeStateError as err:  # what fired is still worth answering with
            log.warning("surge_state_unreadable", error=str(err))
            rising = []
        records = [surge_record(ListedState.FIRED, surge) for surge in fired]
        records += [surge_record(ListedState.RISING, surge) for surge in rising]
        return Reply(SurgeList(items=[SurgeItem.model_validate(item) for item in records]))

    return [Endpoint("GET", "/surges", list_surges, "Surges that fired, and what is rising",
                     "surges", SurgeList, query=SurgeQuery)]  # fmt: skip
