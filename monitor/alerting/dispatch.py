"""Dispatch: drain the outbox through the notifiers.

Alerts are in the store before anything is sent (``Store.record_article``);
this stage only reads due deliveries and drives the notifiers. The concerns
that wrap every channel live here, not in the plugins: silences, quiet hours,
digests and group windows (``monitor.alerting.holds``), rate limits per notifier,
retries within a budget of time (``monitor.alerting.retries``), threading of updates,
redaction of secrets from every error we keep, and the delivery metrics
(``monitor.alerting.outcomes`` records what became of each send).

Each notifier drains on its own (``monitor.alerting.drains``): a slow or hanging
receiver delays its own deliveries, never another notifier's nor a reload. Within a
pass, up to the route's ``concurrency`` sends are in flight at once, never two of one
story (``monitor.alerting.lanes``); a Retry-After holds the rest of the pass back, and
outcomes are written in batches, one transaction each (``monitor.alerting.recorder``).

Delivery guarantee (docs/alerting.md): at least once per (alert, notifier), with a
stable idempotency key per message, so a receiver that drops repeated keys sees
each alert exactly once. A duplicate needs a crash after the receiver accepted a
message and before the store recorded it as sent: an outcome the store refuses to record
(a full disk) is kept in memory and recorded later, never sent again meanwhile
(``monitor.alerting.unrecorded``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import notifiers
from monitor.alerting.delivery_metrics import DeliveryMetrics
from monitor.alerting.drains import Drains
from monitor.alerting.feedback_links import FeedbackLinks
from monitor.alerting.holds import Hold, Unit, batched, digest_hold, group_hold, kind_of, quiet_hold
from monitor.alerting.lanes import Lanes
from monitor.alerting.outbox import batch_id_for, batch_kind, to_alert
from monitor.alerting.outcomes import Outcomes
from monitor.alerting.passes import DispatchConfig, DispatchSummary, Pass, thread_key
from monitor.alerting.retries import DeadReason, RetryPolicy
from monitor.alerting.routing import RateLimiter
from monitor.alerting.silences import covering
from monitor.config import RouteSettings
from monitor.observability import Redactor
from monitor.store import DeliveryContext, Outbox

BATCH = 200  # deliveries one pass takes; a drain passes again while they keep coming


@runtime_checkable
class PendingAge(Protocol):
    """An outbox that can say when its oldest pending alert was raised (for metrics)."""

    async def oldest_pending(self) -> datetime | None: ...


class Dispatcher:
    """Sends due deliveries: each notifier's drain on its own, side by side."""

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
        retry_for: float | None = None,
        feedback_links: FeedbackLinks | None = None,
    ) -> None:
        self._store = store
        self.feedback_links = feedback_links  # each message's link to judge its alert, if made
        retry = RetryPolicy.of(max_attempts, retry_for)
        self._config = DispatchConfig(dict(channels), dict(routes or {}), redact, retry)
        self.metrics = metrics or DeliveryMetrics()
        self._outcomes = Outcomes(store, self.metrics)
        self.unrecorded = self._outcomes.unrecorded  # sent, but the store did not take it yet
        self._clock = clock
        self._drains = Drains(store, self._pass, after_run=self._measure, clock=clock)
        self._retired: list[notifiers.Notifier] = []  # replaced, closed after their send

    async def sweep(self) -> DispatchSummary:
        """Send what is due now, each notifier beside the others, and wait for the drains
        this started: a notifier still draining from before is asked for another pass and
        not waited for."""
        runs = await self._drains.start_due()
        # Every run ends before a failure is raised: none sends on unseen by the caller.
        ended = await asyncio.gather(*runs, return_exceptions=True)
        for failure in ended:
            if isinstance(failure, BaseException):
                raise failure
        return DispatchSummary.merged(s for s in ended if isinstance(s, DispatchSummary))

    async def kick(self) -> None:
        """Start the drains a sweep would, without waiting for them; from now on each
        drain also wakes itself when its next delivery comes due (the running daemon)."""
        await self._drains.start_due(timers=True)

    async def finish(self) -> DispatchSummary:
        """Send what is due now and wait for every drain, those already running included
        (``run --once``, and at shutdown within its deadline)."""
        try:
            return await self.sweep()
        finally:
            await self._drains.wait_idle()

    async def aclose(self) -> None:
        """Stop waking drains and cancel any still running (what it has not sent stays
        pending), record the outcomes of what was sent; close the replaced notifiers
        still waiting for their send."""
        await self._drains.aclose()
        await self._outcomes.settled()
        for channel in self._retired:
            await channel.aclose()
        self._retired.clear()

    def reconfigure(
        self,
        channels: Mapping[str, notifiers.Notifier],
        *,
        max_attempts: int,
        redact: Redactor,
        routes: Mapping[str, RouteSettings],
        retry_for: float | None = None,
    ) -> None:
        """A reloaded config's channels, routes, redactor and retry budget. Each drain takes
        them up before its next send: a send in flight finishes on the channel it started
        on and is recorded first. A rate limit carries on unless its route changed."""
        old, routes = self._config, dict(routes)
        for name, drain in self._drains.items():
            if name not in channels or routes.get(name) != old.routes.get(name):
                drain.limiter = None
        retry = RetryPolicy.of(max_attempts, retry_for)
        self._config = DispatchConfig(dict(channels), routes, redact, retry)

    async def retire(self, channels: Iterable[notifiers.Notifier]) -> None:
        """Close notifiers a reload replaced: at once if idle, else as soon as the send in
        flight on one is recorded (never cut off: it might have been accepted)."""
        for channel in channels:
            if self._drains.sending_on(channel):
                self._retired.append(channel)
            else:
                await channel.aclose()

    async def _measure(self) -> None:
        """The outbox gauges, after each drain run."""
        self.metrics.outbox = await self._store.delivery_counts()
        if isinstance(self._store, PendingAge):
            self.metrics.oldest_pending = await self._store.oldest_pending()
        self.metrics.sweeps += 1

    async def _pass(self, name: str, summary: DispatchSummary) -> None:
        """One pass over ``name``'s due deliveries under the config current at its start;
        it ends once their outcomes are recorded, so the next pass reads them as they are."""
        await self.unrecorded.flush(self._store, name)
        config, now = self._config, self._clock()
        due = self.unrecorded.without(await self._store.due_deliveries(now, BATCH, name))
        if not due:
            return
        silences = await self._store.silences(active_at=now)
        pass_ = Pass(name, config, now, silences, summary)
        try:
            await self._send_or_bury(pass_, config.channels.get(name), due)
        finally:  # a failed pass too: the next one must read what this one sent as sent
            await self._outcomes.settled()
        if pass_.reloaded or len(due) >= BATCH:  # the rest under the new config; or more
            self._drains.start(name)

    async def _send_or_bury(
        self, pass_: Pass, channel: notifiers.Notifier | None, due: list[DeliveryContext]
    ) -> None:
        if channel is None:
            for context in due:
                self._outcomes.dead(
                    pass_, Unit([context]), "notifier is not configured", DeadReason.NOT_CONFIGURED
                )
        else:
            await self._send_all(pass_, channel, await self._units(pass_, due))

    async def _send_all(self, pass_: Pass, channel: notifiers.Notifier, units: list[Unit]) -> None:
        """The units side by side up to the route's concurrency, in story order."""
        lanes = Lanes(pass_.route.concurrency)
        for unit in sorted(units, key=lambda unit: unit.first_created):
            lanes.add(unit.stories, functools.partial(self._dispatch_unit, pass_, channel, unit))
        await lanes.finish()

    async def _units(self, pass_: Pass, items: list[DeliveryContext]) -> list[Unit]:
        """Claimed batches as they are; the rest filtered, held or pooled into a batch."""
        units = batched([c for c in items if c.delivery.batch_id])
        pool: list[DeliveryContext] = []
        for context in (c for c in items if not c.delivery.batch_id):
            if await self._silenced(pass_, context):
                continue
            hold = self._hold(pass_, context)
            if hold is not None:
                self._outcomes.deferred(pass_, Unit([context]), hold)
            elif kind_of(pass_.route) is None or context.delivery.attempts:
                units.append(Unit([context]))
            else:
                pool.append(context)
        return units + await self._pooled(pass_, pool)

    def _hold(self, pass_: Pass, context: DeliveryContext) -> Hold | None:
        route, now = pass_.route, pass_.now
        if hold := quiet_hold(route, context, now):
            return hold
        if route.digest is not None:
            return digest_hold(route, context, now)
        if route.group_window > 0 and not context.delivery.attempts:
            return group_hold(route, context, now)
        return None

    async def _silenced(self, pass_: Pass, context: DeliveryContext) -> bool:
        alert = context.alert
        silence = covering(pass_.silences, alert.rule, alert.story_id, pass_.name)
        if silence is None:
            return False
        note = f"silenced #{silence.silence_id}: {silence.reason}"
        self._outcomes.silenced(pass_, Unit([context]), note)
        return True

    async def _pooled(self, pass_: Pass, pool: list[DeliveryContext]) -> list[Unit]:
        """One batch of everything pooled (a group also takes alerts held in its window)."""
        kind = kind_of(pass_.route)
        if not pool or kind is None:
            return []
        if kind == "group":
            await self._outcomes.settled()  # alerts this pass just held are read back too
            held = self.unrecorded.without(await self._store.held_deliveries(pass_.name, "group"))
            known = {c.delivery.delivery_id for c in pool}
            for context in held:
                if context.delivery.delivery_id not in known and not await self._silenced(
                    pass_, context
                ):
                    pool.append(context)
            if len(pool) == 1:
                return [Unit(pool)]
        batch_id = batch_id_for(pass_.name, kind, [c.alert.alert_id for c in pool])
        unit = Unit(sorted(pool, key=lambda c: c.alert.created_at), kind, batch_id)
        await self._store.claim_batch(batch_id, unit.ids)
        return [unit]

    async def _dispatch_unit(self, pass_: Pass, channel: notifiers.Notifier, unit: Unit) -> None:
        if self._config is not pass_.config:  # reloaded: left for a pass under the new one
            pass_.reloaded = True
            return
        if hold := self._held_back(pass_, unit):
            self._outcomes.deferred(pass_, unit, hold)
            return
        await self._send(pass_, channel, unit)
        retired = [one for one in self._retired if one is channel]
        if retired and not self._drains.sending_on(channel):
            self._retired.remove(channel)
            await channel.aclose()

    def _held_back(self, pass_: Pass, unit: Unit) -> Hold | None:
        """Why the unit waits although due: its first message failed in this pass, the
        receiver asked us to wait (Retry-After), or the route's rate limit."""
        keys = [thread_key(context) for context in unit.contexts]
        waiting = [pass_.failed[key] for key in keys if key in pass_.failed]
        if unit.kind == "alert" and waiting:
            return Hold("thread", max(waiting))
        if pass_.paused_until is not None:
            return Hold("retry_after", pass_.paused_until)
        if wait := self._rate_limited(pass_):
            return Hold("rate_limit", wait)
        return None

    def _rate_limited(self, pass_: Pass) -> datetime | None:
        limit = pass_.route.rate_limit
        if limit is None:
            return None
        drain = self._drains[pass_.name]
        if drain.limiter is None:
            drain.limiter = RateLimiter(limit, pass_.now)
        return drain.limiter.take(pass_.now)

    async def _send(self, pass_: Pass, channel: notifiers.Notifier, unit: Unit) -> None:
        threads = pass_.threads
        alerts = [
            to_alert(c, threads.get(thread_key(c)), self.feedback_links) for c in unit.contexts
        ]
        sending = self._drains[pass_.name].sending
        sending.append(channel)
        try:
            sent = await _deliver(channel, unit, alerts)
        except notifiers.NotifyError as err:
            self._failed(pass_, unit, str(err), err.retryable, err.retry_after)
            return
        except Exception as err:  # a plugin bug must not stop the other deliveries
            error = f"{type(err).__name__}: {err}"
            self._outcomes.dead(pass_, unit, error, DeadReason.PLUGIN_ERROR)
            return
        finally:
            sending.remove(channel)
        self.metrics.messages[pass_.name, unit.kind] += 1
        self._outcomes.sent(pass_, unit)
        if sent is not None and sent.thread:
            self._outcomes.thread(pass_, unit, sent.thread)

    def _failed(
        self, pass_: Pass, unit: Unit, error: str, retryable: bool, retry_after: float | None
    ) -> None:
        if not retryable:
            self._outcomes.dead(pass_, unit, error, DeadReason.NOT_RETRYABLE)
            return
        first = unit.first_attempt or pass_.now
        retry_at = pass_.config.retry.next_try(unit.attempts + 1, first, pass_.now, retry_after)
        if retry_at is None:
            self._outcomes.dead(pass_, unit, error, DeadReason.BUDGET_SPENT)
            return
        for context in unit.contexts:
            pass_.failed[thread_key(context)] = retry_at
        if retry_after is not None:  # the receiver's word holds for the rest of the pass
            pass_.paused_until = max(retry_at, pass_.paused_until or retry_at)
        self._outcomes.retry(pass_, unit, error, retry_at)


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
