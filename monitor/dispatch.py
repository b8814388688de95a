"""Dispatch: drain the outbox through the notifiers.

Alerts are in the store before anything is sent (``Store.record_article``);
this stage only reads due deliveries and drives the notifiers. The concerns
that wrap every channel live here, not in the plugins: retries with
exponential backoff and jitter (honouring ``Retry-After``), dead-lettering
after ``max_attempts``, and redaction of secrets from every error we keep.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

import notifiers
from monitor.store import DeliveryContext, Store

log = structlog.get_logger("monitor.dispatch")

BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 200


@dataclass(slots=True)
class DispatchSummary:
    """How one sweep of the outbox went, by delivery outcome."""

    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def sent(self) -> int:
        return self.outcomes["sent"]


class Redactor:
    """Replaces every configured secret in a text by ``[redacted]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret containing another is removed whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Delay before the next attempt: Retry-After if given, else capped 2^n with jitter."""
    if retry_after is not None:
        return min(timedelta(seconds=max(retry_after, 0)), MAX_BACKOFF)
    delay: timedelta = min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    return delay * random.uniform(0.5, 1.0)


def to_alert(context: DeliveryContext) -> notifiers.Alert:
    """The notifier-facing alert for one outbox row."""
    record = context.alert
    return notifiers.Alert(
        alert_id=record.alert_id,
        story_id=record.story_id,
        rule=record.rule,
        severity=record.severity,
        title=context.title,
        link=context.link,
        summary=context.summary,
        feed=context.feed_name,
        published=context.published,
        first_seen=context.first_seen,
        matched_terms=record.terms,
        outlets=context.outlets,
        event=record.event,
    )


class Dispatcher:
    """Sends due deliveries; one sweep at a time, channels in parallel."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, notifiers.Notifier],
        *,
        max_attempts: int,
        redact: Redactor,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._channels = channels
        self._max_attempts = max_attempts
        self._redact = redact
        self._clock = clock
        self._lock = asyncio.Lock()

    async def sweep(self) -> DispatchSummary:
        """Send everything due now; later failures wait for a later sweep."""
        summary = DispatchSummary()
        async with self._lock:
            due = await self._store.due_deliveries(self._clock(), BATCH)
            by_channel: defaultdict[str, list[DeliveryContext]] = defaultdict(list)
            for context in due:
                by_channel[context.delivery.notifier].append(context)
            await asyncio.gather(
                *(self._send_all(name, items, summary) for name, items in by_channel.items())
            )
        return summary

    async def _send_all(
        self, name: str, items: list[DeliveryContext], summary: DispatchSummary
    ) -> None:
        for context in items:
            summary.outcomes[await self._deliver(name, context)] += 1

    async def _deliver(self, name: str, context: DeliveryContext) -> str:
        channel = self._channels.get(name)
        if channel is None:
            return await self._finish(context, "dead", "notifier is not configured or disabled")
        try:
            await channel.send(to_alert(context))
        except notifiers.NotifyError as err:
            return await self._failed(context, str(err), err.retryable, err.retry_after)
        except Exception as err:
            return await self._failed(context, f"{type(err).__name__}: {err}", False, None)
        return await self._finish(context, "sent", None)

    async def _failed(
        self, context: DeliveryContext, error: str, retryable: bool, retry_after: float | None
    ) -> str:
        attempts = context.delivery.attempts + 1
        if not retryable or attempts >= self._max_attempts:
            return await self._finish(context, "dead", error)
        delay = backoff(attempts, retry_after)
        await self._store.update_delivery(
            context.delivery.delivery_id,
            state="pending",
            attempts=attempts,
            next_attempt_at=self._clock() + delay,
            error=self._redact(error),
        )
        self._log(context, "delivery_retry", error, retry_in=round(delay.total_seconds(), 1))
        return "retry"

    async def _finish(self, context: DeliveryContext, state: str, error: str | None) -> str:
        clean = self._redact(error) if error else None
        await self._store.update_delivery(
            context.delivery.delivery_id,
            state=state,
            attempts=context.delivery.attempts + 1,
            next_attempt_at=self._clock(),
            error=clean,
        )
        self._log(context, f"delivery_{state}", clean)
        return state

    def _log(
        self, context: DeliveryContext, event: str, error: str | None, **extra: object
    ) -> None:
        level = log.info if error is None else log.warning
        level(
            event,
            notifier=context.delivery.notifier,
            story_id=context.alert.story_id,
            rule=context.alert.rule,
            delivery_id=context.delivery.delivery_id,
            error=self._redact(error) if error else None,
            **extra,
        )
