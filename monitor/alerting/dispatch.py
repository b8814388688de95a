"""Dispatch: drain the outbox through the notifiers.

Alerts are in the store before anything is sent (``Store.record_article``);
this stage only reads due deliveries and drives the notifiers. The concerns
that wrap every channel live here, not in the plugins: silences, quiet hours,
digests and group windows (``monitor.alerting.holds``), rate limits per notifier, retries
with exponential backoff and jitter (honouring ``Retry-After``), dead-lettering
after ``max_attempts``, threading of updates, redaction of secrets from every
error we keep, and the delivery metrics.

Delivery guarantee (docs/alerting.md): at least once per (alert, notifier), with a
stable idempotency key per message, so a receiver that drops repeated keys sees
each alert exactly once. A duplicate needs a crash after the receiver accepted a
message and before the store recorded it as sent: an outcome the store refuses to record
(a full disk) is kept in memory and recorded later, never sent again meanwhile
(``monitor.alerting.unrecorded``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import structlog

import notifiers
from monitor.alerting.delivery_metrics import DeliveryMetrics
from monitor.alerting.holds import Hold, Unit, batched, digest_hold, group_hold, kind_of, quiet_hold
from monitor.alerting.outbox import batch_id_for, batch_kind, to_alert
from monitor.alerting.routing import RateLimiter
from monitor.alerting.silences import covering
from monitor.alerting.unrecorded import UnrecordedOutcomes
from monitor.config import RouteSettings
from monitor.observability import Redactor
from monitor.records import Silence
from monitor.store import DeliveryContext, Outbox

log = structlog.get_logger("monitor.alerting.dispatch")

BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 200


@dataclass(slots=True)
class DispatchSummary:
    """How one sweep of the outbox went, by delivery outcome, and when to sweep next."""

    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    next_wake: datetime | None = None  # the earliest hold set in this sweep

    @property
    def sent(self) -> int:
        return self.outcomes["sent"]

    def wake_at(self, moment: datetime) -> None:
        self.next_wake = moment if self.next_wake is None else min(self.next_wake, moment)


@runtime_checkable
class PendingAge(Protocol):
    """An outbox that can say when its oldest pending alert was raised (for metrics)."""

    async def oldest_pending(self) -> datetime | None: ...


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Delay before the next attempt: Retry-After if given, else capped 2^n with jitter."""
    if retry_after is not None:
        return min(timedelta(seconds=max(retry_after, 0)), MAX_BACKOFF)
    delay: timedelta = min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    return delay * random.uniform(0.5, 1.0)


@dataclass(slots=True)
class _Sweep:
    """State of one notifier's part of one sweep."""

    name: str
    route: RouteSettings
    now: datetime
    silences: list[Silence]
    summary: DispatchSummary
    threads: dict[tuple[str, str], str] = field(default_factory=dict)
    failed: dict[tuple[str, str], datetime] = field(default_factory=dict)


def _key(context: DeliveryContext) -> tuple[str, str]:
    return context.alert.story_id, context.alert.rule


class Dispatcher:
    """Sends due deliveries; one sweep at a time, notifiers in parallel."""

    def __init__(
        self,
        store: Outbox,
        channels: Mapping[str, notifiers.Notifier],
        *,
        max_attempts: int,
        redact: Redactor,
        routes: Mapping[str, RouteSettings] | None = None,
        metrics: DeliveryMetrics | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._channels = channels
        self._max_attempts = max_attempts
        self._redact = redact
        self._routes = dict(routes or {})
        self.metrics = metrics or DeliveryMetrics()
        self._clock = clock
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = asyncio.Lock()
        self.unrecorded = UnrecordedOutcomes()  # sent, but the store did not take it yet

    async def sweep(self) -> DispatchSummary:
        """Send everything due now; later failures and holds wait for a later sweep."""
        summary = DispatchSummary()
        async with self._lock:
            await self.unrecorded.flush(self._store)
            now = self._clock()
            due = self.unrecorded.without(await self._store.due_deliveries(now, BATCH))
            silences = await self._store.silences(active_at=now) if due else []
            by_channel: defaultdict[str, list[DeliveryContext]] = defaultdict(list)
            for context in due:
                by_channel[context.delivery.notifier].append(context)
            failures = await asyncio.gather(
                *(
                    self._sweep_notifier(
                        _Sweep(name, self._route(name), now, silences, summary), items
                    )
                    for name, items in by_channel.items()
                ),
                return_exceptions=True,  # every notifier's part ends before the lock is freed
            )
            for failure in failures:
                if isinstance(failure, BaseException):
                    raise failure
            self.metrics.outbox = await self._store.delivery_counts()
            if isinstance(self._store, PendingAge):
                self.metrics.oldest_pending = await self._store.oldest_pending()
            self.metrics.sweeps += 1
        return summary

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No sweep runs inside this block; one that is sending finishes first."""
        async with self._lock:
            yield

    def reconfigure(
        self,
        channels: Mapping[str, notifiers.Notifier],
        *,
        max_attempts: int,
        redact: Redactor,
        routes: Mapping[str, RouteSettings],
    ) -> None:
        """Channels, routes and redactor of a reloaded config, from the next sweep on (call
        inside :meth:`paused`). A rate limit carries on unless its route changed."""
        routes = dict(routes)
        self._limiters = {
            name: limiter
            for name, limiter in self._limiters.items()
            if name in channels and routes.get(name) == self._routes.get(name)
        }
        self._channels, self._routes = channels, routes
        self._max_attempts, self._redact = max_attempts, redact

    def _route(self, name: str) -> RouteSettings:
        return self._routes.get(name) or RouteSettings()

    async def _sweep_notifier(self, sweep: _Sweep, items: list[DeliveryContext]) -> None:
        channel = self._channels.get(sweep.name)
        if channel is None:
            for context in items:
                await self._finish(sweep, Unit([context]), "dead", "notifier is not configured")
            return
        units = await self._units(sweep, items)
        for unit in sorted(units, key=lambda unit: unit.first_created):
            await self._dispatch_unit(sweep, channel, unit)

    async def _units(self, sweep: _Sweep, items: list[DeliveryContext]) -> list[Unit]:
        """Claimed batches as they are; the rest filtered, held or pooled into a batch."""
        units = batched([c for c in items if c.delivery.batch_id])
        pool: list[DeliveryContext] = []
        for context in (c for c in items if not c.delivery.batch_id):
            if await self._silenced(sweep, context):
                continue
            hold = self._hold(sweep, context)
            if hold is not None:
                await self._defer(sweep, Unit([context]), hold)
            elif kind_of(sweep.route) is None or context.delivery.attempts:
                units.append(Unit([context]))
            else:
                pool.append(context)
        return units + await self._pooled(sweep, pool)

    def _hold(self, sweep: _Sweep, context: DeliveryContext) -> Hold | None:
        route, now = sweep.route, sweep.now
        if hold := quiet_hold(route, context, now):
            return hold
        if route.digest is not None:
            return digest_hold(route, context, now)
        if route.group_window > 0 and not context.delivery.attempts:
            return group_hold(route, context, now)
        return None

    async def _silenced(self, sweep: _Sweep, context: DeliveryContext) -> bool:
        alert = context.alert
        silence = covering(sweep.silences, alert.rule, alert.story_id, sweep.name)
        if silence is None:
            return False
        reason = f"silenced #{silence.silence_id}: {silence.reason}"
        await self._finish(sweep, Unit([context]), "silenced", None, note=reason)
        return True

    async def _pooled(self, sweep: _Sweep, pool: list[DeliveryContext]) -> list[Unit]:
        """One batch of everything pooled (a group also takes alerts held in its window)."""
        kind = kind_of(sweep.route)
        if not pool or kind is None:
            return []
        if kind == "group":
            held = self.unrecorded.without(await self._store.held_deliveries(sweep.name, "group"))
            known = {c.delivery.delivery_id for c in pool}
            for context in held:
                if context.delivery.delivery_id not in known and not await self._silenced(
                    sweep, context
                ):
                    pool.append(context)
            if len(pool) == 1:
                return [Unit(pool)]
        batch_id = batch_id_for(sweep.name, kind, [c.alert.alert_id for c in pool])
        unit = Unit(sorted(pool, key=lambda c: c.alert.created_at), kind, batch_id)
        await self._store.claim_batch(batch_id, unit.ids)
        return [unit]

    async def _dispatch_unit(self, sweep: _Sweep, channel: notifiers.Notifier, unit: Unit) -> None:
        waiting = [sweep.failed[_key(c)] for c in unit.contexts if _key(c) in sweep.failed]
        if unit.kind == "alert" and waiting:  # its first message failed in this sweep
            await self._defer(sweep, unit, Hold("thread", max(waiting)))
            return
        if wait := self._rate_limited(sweep):
            await self._defer(sweep, unit, Hold("rate_limit", wait))
            return
        await self._send(sweep, channel, unit)

    def _rate_limited(self, sweep: _Sweep) -> datetime | None:
        limit = sweep.route.rate_limit
        if limit is None:
            return None
        limiter = self._limiters.setdefault(sweep.name, RateLimiter(limit, sweep.now))
        return limiter.take(sweep.now)

    async def _send(self, sweep: _Sweep, channel: notifiers.Notifier, unit: Unit) -> None:
        alerts = [to_alert(c, sweep.threads.get(_key(c))) for c in unit.contexts]
        try:
            sent = await _deliver(channel, unit, alerts)
        except notifiers.NotifyError as err:
            await self._failed(sweep, unit, str(err), err.retryable, err.retry_after)
            return
        except Exception as err:  # a plugin bug must not stop the other deliveries
            await self._failed(sweep, unit, f"{type(err).__name__}: {err}", False, None)
            return
        self.metrics.messages[sweep.name, unit.kind] += 1
        await self._finish(sweep, unit, "sent", None)
        if sent is not None and sent.thread:
            await self._remember_thread(sweep, unit, sent.thread)

    async def _remember_thread(self, sweep: _Sweep, unit: Unit, ref: str) -> None:
        for context in unit.contexts:
            sweep.threads.setdefault(_key(context), ref)
            await self.unrecorded.save_thread(self._store, *_key(context), sweep.name, ref)

    async def _failed(
        self, sweep: _Sweep, unit: Unit, error: str, retryable: bool, retry_after: float | None
    ) -> None:
        attempts = unit.attempts + 1
        if not retryable or attempts >= self._max_attempts:
            await self._finish(sweep, unit, "dead", error)
            return
        retry_at = sweep.now + backoff(attempts, retry_after)
        clean = self._redact(error)
        await self.unrecorded.update(
            self._store, unit.ids, state="pending", attempts=attempts, next_attempt_at=retry_at,
            error=clean,
        )  # fmt: skip
        for context in unit.contexts:
            sweep.failed[_key(context)] = retry_at
        sweep.summary.wake_at(retry_at)
        self._count(sweep, unit, "retry")
        retry_in = round((retry_at - sweep.now).total_seconds(), 1)
        self._log(sweep, unit, "delivery_retry", clean, retry_in=retry_in)

    async def _finish(
        self, sweep: _Sweep, unit: Unit, state: str, error: str | None, *, note: str | None = None
    ) -> None:
        clean = self._redact(error) if error else note
        tried = state != "silenced"  # a silenced delivery was never attempted
        await self.unrecorded.update(
            self._store,
            unit.ids,
            state=state,
            attempts=unit.attempts + 1 if tried else unit.attempts,
            next_attempt_at=sweep.now,
            error=clean,
        )
        self._count(sweep, unit, state)
        self._log(sweep, unit, f"delivery_{state}", clean if error else None)

    async def _defer(self, sweep: _Sweep, unit: Unit, hold: Hold) -> None:
        """Wait without spending an attempt: the delivery is held, not failing."""
        await self.unrecorded.update(
            self._store,
            unit.ids,
            state="pending",
            attempts=unit.attempts,
            next_attempt_at=hold.until,
            error=None,
            hold=hold.reason,
        )
        sweep.summary.wake_at(hold.until)
        sweep.summary.outcomes["deferred"] += len(unit.ids)
        self.metrics.deferrals[sweep.name, hold.reason] += len(unit.ids)
        for context in unit.contexts:
            log.debug(
                "delivery_deferred",
                notifier=sweep.name,
                delivery_id=context.delivery.delivery_id,
                story_id=context.alert.story_id,
                rule=context.alert.rule,
                hold=hold.reason,
                until=hold.until.isoformat(),
            )

    def _count(self, sweep: _Sweep, unit: Unit, outcome: str) -> None:
        sweep.summary.outcomes[outcome] += len(unit.ids)
        self.metrics.delivered(sweep.name, outcome, len(unit.ids))

    def _log(
        self, sweep: _Sweep, unit: Unit, event: str, error: str | None, **extra: object
    ) -> None:
        level = {"delivery_dead": log.error, "delivery_retry": log.warning}.get(event, log.info)
        for context in unit.contexts:
            level(
                event,
                notifier=sweep.name,
                story_id=context.alert.story_id,
                rule=context.alert.rule,
                alert_id=context.alert.alert_id,
                delivery_id=context.delivery.delivery_id,
                batch_id=unit.batch_id,
                error=error,
                **extra,
            )


async def _deliver(
    channel: notifiers.Notifier, unit: Unit, alerts: list[notifiers.Alert]
) -> notifiers.Sent | None:
    """One send: the alert alone, or the batch through ``send_batch`` when the notifier has it."""
    if unit.kind == "alert":
        return await channel.send(alerts[0])
    assert unit.batch_id is not None
    batch = notifiers.Batch(unit.batch_id, batch_kind(unit.batch_id), tuple(alerts))
    if isinstance(channel, notifiers.BatchNotifier):
        return await channel.send_batch(batch)
    sent: notifiers.Sent | None = None
    for alert in alerts:  # a third-party notifier without send_batch
        sent = await channel.send(alert) or sent
    return sent
