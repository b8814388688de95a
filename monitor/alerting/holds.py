"""Why a due delivery waits, and which deliveries go out together.

Checked by the dispatcher for every due delivery, in this order:

1. quiet hours on the route: wait until they end, unless the alert's severity is
   at or above the route's ``unless_severity`` (deferred, never dropped);
2. a digest route: wait for the next digest time after the alert was raised, then
   go out with every other alert due on that route, as one message;
3. a group window: wait ``group_window`` seconds after the alert was raised, then
   go out with every alert that arrived on the route meanwhile, as one message.

A :class:`Unit` is what one send carries: a single delivery, or the members of a
group or digest batch (claimed in the store before the first try).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerting.outbox import BatchKind, batch_kind
from monitor.alerting.routing import at_least, next_digest, quiet_until
from monitor.config import RouteSettings
from monitor.store import DeliveryContext


@dataclass(frozen=True, slots=True)
class Hold:
    """Wait until ``until`` because of ``reason``."""

    reason: str
    until: datetime


@dataclass(slots=True)
class Unit:
    """Deliveries sent as one message: ``kind`` "alert" for one, else a batch."""

    contexts: list[DeliveryContext]
    kind: str = "alert"
    batch_id: str | None = None

    @property
    def ids(self) -> list[int]:
        return [context.delivery.delivery_id for context in self.contexts]

    @property
    def stories(self) -> list[str]:
        return [context.alert.story_id for context in self.contexts]

    @property
    def attempts(self) -> int:
        return max(context.delivery.attempts for context in self.contexts)

    @property
    def first_created(self) -> datetime:
        return min(context.alert.created_at for context in self.contexts)

    @property
    def first_attempt(self) -> datetime | None:
        """When any member was first tried (a batch's retry budget runs from it), or None."""
        tried = (context.delivery.first_attempt_at for context in self.contexts)
        return min((moment for moment in tried if moment is not None), default=None)


def quiet_hold(route: RouteSettings, context: DeliveryContext, now: datetime) -> Hold | None:
    """Quiet hours, unless the alert is severe enough to break them."""
    quiet = route.quiet_hours
    if quiet is None:
        return None
    if quiet.unless_severity and at_least(context.alert.severity, quiet.unless_severity):
        return None
    until = quiet_until(quiet, now)
    return Hold("quiet_hours", until) if until else None


def digest_hold(route: RouteSettings, context: DeliveryContext, now: datetime) -> Hold | None:
    """The digest time this alert goes out at, while it is still ahead."""
    assert route.digest is not None
    boundary = next_digest(route.digest, context.alert.created_at)
    return Hold("digest", boundary) if boundary > now else None


def group_hold(route: RouteSettings, context: DeliveryContext, now: datetime) -> Hold | None:
    """The end of the alert's group window, while it is still ahead."""
    release = context.alert.created_at + timedelta(seconds=route.group_window)
    return Hold("group", release) if release > now else None


def batched(contexts: list[DeliveryContext]) -> list[Unit]:
    """Units for deliveries already claimed into batches (retries resend them whole)."""
    by_batch: dict[str, list[DeliveryContext]] = {}
    for context in contexts:
        assert context.delivery.batch_id is not None
        by_batch.setdefault(context.delivery.batch_id, []).append(context)
    return [Unit(items, batch_kind(batch_id), batch_id) for batch_id, items in by_batch.items()]


def kind_of(route: RouteSettings) -> BatchKind | None:
    """What a route batches into, if anything."""
    if route.digest is not None:
        return "digest"
    return "group" if route.group_window > 0 else None
