"""A dispatch desk for delivery tests: a store, the dispatcher over real notifiers, and a
clock both share; alerts raised through the same planner the pipeline uses.

    desk = Desk(store, {"hook": webhook(receiver.url(), http)})
    await desk.alert("s1")
    assert await desk.sweep() == {"sent": 1}
    await desk.sweep(after=timedelta(minutes=1))   # the clock moves, nothing sleeps
    await desk.sweep_when_due()                    # at the next pending delivery's time
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

import notifiers
from monitor.alerting import Routes
from monitor.alerting.dispatch import Dispatcher
from monitor.config.alerting import AlertingSettings, RouteSettings, UpdateSettings
from monitor.ingest.story_alerts import AlertPolicy
from monitor.observability import Redactor
from monitor.store.interface import Store
from tests.support.receiver import ReceivedRequest
from tests.support.stories import NOW, StoryDesk, match

__all__ = ["Desk", "keys", "webhook"]


def webhook(
    url: str, http: httpx.AsyncClient, *, name: str = "hook", timeout: float = 10.0
) -> notifiers.WebhookNotifier:
    config = notifiers.WebhookConfig(url=url, timeout=timeout)
    return notifiers.WebhookNotifier(name, config, http=http)


def keys(requests: list[ReceivedRequest]) -> list[str]:
    """The Idempotency-Key of each request, in order."""
    return [request.headers["idempotency-key"] for request in requests]


@dataclass
class Desk:
    """A store, the dispatcher over real notifiers, and a clock both share."""

    store: Store
    channels: dict[str, notifiers.Notifier]
    routes: dict[str, RouteSettings] = field(default_factory=dict)
    updates: UpdateSettings = field(default_factory=UpdateSettings)
    max_attempts: int = 4
    now: datetime = NOW
    desks: dict[str, StoryDesk] = field(default_factory=dict)
    dispatcher: Dispatcher | None = None

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(
            self.store,
            self.channels,
            max_attempts=self.max_attempts,
            redact=Redactor([]),
            routes=self.routes,
            clock=lambda: self.now,
        )

    def story(self, story_id: str) -> StoryDesk:
        if story_id not in self.desks:
            policy = AlertPolicy(
                Routes(tuple(self.channels)), AlertingSettings(updates=self.updates)
            )
            self.desks[story_id] = StoryDesk(self.store, policy, story_id=story_id)
        return self.desks[story_id]

    async def alert(self, story_id: str, *, outlet: int = 1, **fields: object) -> None:
        """Raise (or update) an alert for ``story_id`` at the current time."""
        await self.story(story_id).report(
            f"Harbour cranes collapse in story {story_id}",
            outlet=outlet,
            matches=[match(**fields)],  # type: ignore[arg-type]
            at=self.now,
        )

    async def sweep(self, *, after: timedelta = timedelta(0)) -> dict[str, int]:
        self.now += after
        assert self.dispatcher is not None
        return {str(outcome): n for outcome, n in (await self.dispatcher.sweep()).outcomes.items()}

    async def next_attempt(self) -> datetime | None:
        """When the earliest pending delivery is to be tried next (None: none is pending)."""
        listed = await self.store.list_alerts(NOW - timedelta(days=1), "pending")
        times = [d.next_attempt_at for a in listed for d in a.deliveries if d.state == "pending"]
        return min(times, default=None)

    async def sweep_when_due(self) -> dict[str, int]:
        """Move the clock to the earliest pending delivery's next attempt, and sweep."""
        moment = await self.next_attempt()
        assert moment is not None, "nothing is pending"
        self.now = max(self.now, moment)
        return await self.sweep()

    async def states(self) -> dict[str, int]:
        return await self.store.delivery_counts()
