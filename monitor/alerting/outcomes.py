"""What became of each unit a pass handled, written to the store, the metrics and the log.

Every outcome goes through :class:`Outcomes`: sent, retry, dead, silenced (ends without
a send) and deferred (a hold: waits without spending anything), and the thread reference
a first message got. Errors are redacted with the pass's redactor before they are stored
or logged. A dead letter's log line says why (``reason``:
:class:`~monitor.alerting.retries.DeadReason`), after how many attempts and over how long.
Outcomes are written in batches, one transaction each (``monitor.alerting.recorder``);
a pass waits for its own with :meth:`Outcomes.settled`. A batch the store refuses (a
full disk) is kept in :attr:`Outcomes.unrecorded` and written later; its deliveries are
not sent again meanwhile.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from monitor.alerting.delivery_metrics import DeliveryMetrics, Outcome
from monitor.alerting.holds import Hold, Unit
from monitor.alerting.passes import Pass, thread_key
from monitor.alerting.recorder import OutcomeRecorder
from monitor.alerting.retries import DeadReason
from monitor.alerting.unrecorded import OutcomeWrite, UnrecordedOutcomes
from monitor.records import DeliveryState
from monitor.store import DeliveryUpdate, Outbox, ThreadRef

log = structlog.get_logger("monitor.alerting.dispatch")


class Outcomes:
    """Records outcomes of one dispatcher's passes."""

    def __init__(self, store: Outbox, metrics: DeliveryMetrics) -> None:
        self.metrics = metrics
        self.unrecorded = UnrecordedOutcomes()  # writes the store refused, until it takes them
        self._recorder = OutcomeRecorder(store, self.unrecorded)

    async def settled(self) -> None:
        """Until every outcome given so far is in the store (or kept as unrecorded)."""
        await self._recorder.settled()

    def sent(self, pass_: Pass, unit: Unit) -> None:
        self._attempted(pass_, unit, Outcome.SENT, None)
        self._log(pass_, unit, "delivery_sent", None)

    def retry(self, pass_: Pass, unit: Unit, error: str, retry_at: datetime) -> None:
        """A transient failure: tried again at ``retry_at``."""
        clean = pass_.config.redact(error)
        self._update(
            pass_, unit, state=DeliveryState.PENDING,
            attempts=unit.attempts + 1, next_attempt_at=retry_at, error=clean,
            first_attempt_at=pass_.now,
        )  # fmt: skip
        self._count(pass_, unit, Outcome.RETRY)
        retry_in = round((retry_at - pass_.now).total_seconds(), 1)
        self._log(pass_, unit, "delivery_retry", clean, retry_in=retry_in)

    def dead(self, pass_: Pass, unit: Unit, error: str, reason: DeadReason) -> None:
        """Given up: logged at error level with why, after how many attempts, over how long."""
        clean = pass_.config.redact(error)
        self._attempted(pass_, unit, Outcome.DEAD, clean)
        first = unit.first_attempt or pass_.now
        self._log(
            pass_, unit, "delivery_dead", clean, reason=reason.value, attempts=unit.attempts + 1,
            retried_for=round((pass_.now - first).total_seconds(), 1),
        )  # fmt: skip

    def silenced(self, pass_: Pass, unit: Unit, note: str) -> None:
        """Ended by a silence, never attempted (``note`` names the silence)."""
        self._update(
            pass_, unit, state=DeliveryState.SILENCED,
            attempts=unit.attempts, next_attempt_at=pass_.now, error=note,
        )  # fmt: skip
        self._count(pass_, unit, Outcome.SILENCED)
        self._log(pass_, unit, "delivery_silenced", None)

    def deferred(self, pass_: Pass, unit: Unit, hold: Hold) -> None:
        """Wait without spending an attempt: the delivery is held, not failing."""
        self._update(
            pass_, unit, state=DeliveryState.PENDING,
            attempts=unit.attempts, next_attempt_at=hold.until, error=None, hold=hold.reason,
        )  # fmt: skip
        pass_.summary.outcomes[Outcome.DEFERRED] += len(unit.ids)
        self.metrics.deferrals[pass_.name, hold.reason] += len(unit.ids)
        for context in unit.contexts:
            log.debug(
                "delivery_deferred", notifier=pass_.name, delivery_id=context.delivery.delivery_id,
                story_id=context.alert.story_id, rule=context.alert.rule, hold=hold.reason,
                until=hold.until.isoformat(),
            )  # fmt: skip

    def thread(self, pass_: Pass, unit: Unit, ref: str) -> None:
        """The first message of each of the unit's (story, rule) went out as ``ref``."""
        for context in unit.contexts:
            key = thread_key(context)
            pass_.threads.setdefault(key, ref)
            self._recorder.add(OutcomeWrite(pass_.name, ThreadRef(*key, pass_.name, ref)))

    def _attempted(self, pass_: Pass, unit: Unit, outcome: Outcome, error: str | None) -> None:
        """A final outcome of an attempt (sent or dead)."""
        state = DeliveryState.SENT if outcome is Outcome.SENT else DeliveryState.DEAD
        self._update(
            pass_, unit, state=state,
            attempts=unit.attempts + 1, next_attempt_at=pass_.now, error=error,
            first_attempt_at=pass_.now,
        )  # fmt: skip
        self._count(pass_, unit, outcome)

    def _update(
        self, pass_: Pass, unit: Unit, *, state: DeliveryState, attempts: int,
        next_attempt_at: datetime, error: str | None, hold: str | None = None,
        first_attempt_at: datetime | None = None,
    ) -> None:  # fmt: skip
        update = DeliveryUpdate(
            tuple(unit.ids), state, attempts, next_attempt_at, error, hold, first_attempt_at
        )
        self._recorder.add(OutcomeWrite(pass_.name, update))

    def _count(self, pass_: Pass, unit: Unit, outcome: Outcome) -> None:
        pass_.summary.outcomes[outcome] += len(unit.ids)
        self.metrics.delivered(pass_.name, outcome, len(unit.ids))

    def _log(self, pass_: Pass, unit: Unit, event: str, error: str | None, **extra: object) -> None:
        level = {"delivery_dead": log.error, "delivery_retry": log.warning}.get(event, log.info)
        for context in unit.contexts:
            level(
                event,
                notifier=pass_.name,
                story_id=context.alert.story_id,
                rule=context.alert.rule,
                alert_id=context.alert.alert_id,
                delivery_id=context.delivery.delivery_id,
                batch_id=unit.batch_id,
                error=error,
                **extra,
            )
