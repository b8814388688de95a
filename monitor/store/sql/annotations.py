"""What operators and the surge detector record beside the articles, written once for both
backends: silences, surges and the detector's saved state, and feedback on alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar, TypeVar

from monitor.records import Feedback, RuleFeedback, Silence
from monitor.store.sql import feedback, rows, surges
from monitor.store.sql import statements as sql
from monitor.store.sql.dialect import Dialect
from monitor.store.sql.rows import Row
from monitor.store.sql.steps import Steps, Values, each, first_of
from monitor.surges import Surge

T = TypeVar("T")


class SqlAnnotations:
    """Silences, surges and feedback: the part of :class:`~monitor.store.sql.base.SqlStore`
    that reads and writes neither articles nor deliveries."""

    dialect: ClassVar[Dialect]

    async def _perform(self, steps: Steps[T], *, snapshot: bool = False, write: bool = False) -> T:
        raise NotImplementedError

    async def _rows(self, statement: str, values: Values = ()) -> list[Row]:
        raise NotImplementedError

    async def _execute(self, statement: str, values: Values = ()) -> int:
        raise NotImplementedError

    async def add_silence(self, silence: Silence) -> Silence:
        time = self.dialect.time
        values = (silence.rule, silence.story_id, silence.notifier, silence.reason,
                  time(silence.created_at), time(silence.expires_at))  # fmt: skip
        row = await self._perform(first_of(sql.ADD_SILENCE, values))
        assert row is not None, "INSERT … RETURNING returns the new row"
        return replace(silence, silence_id=row["silence_id"])

    async def silences(self, active_at: datetime | None = None) -> list[Silence]:
        moment = self.dialect.time(active_at)
        found = await self._rows(sql.SILENCES, (moment,) * 3)
        return [rows.silence(row) for row in found]

    async def remove_silence(self, silence_id: int) -> bool:
        return await self._execute(sql.REMOVE_SILENCE, (silence_id,)) > 0

    async def record_surges(self, fired: Sequence[Surge]) -> None:
        values = [surges.surge_values(self.dialect, surge) for surge in fired]
        await self._perform(each(surges.RECORD_SURGE, values), write=True)

    async def list_surges(self, since: datetime) -> list[Surge]:
        found = await self._rows(surges.LIST_SURGES, (self.dialect.time(since),))
        return [surges.surge(row) for row in found]

    async def latest_surges(self, since: datetime, limit: int) -> list[Surge]:
        values = (self.dialect.time(since), limit)
        return [surges.surge(row) for row in await self._rows(surges.LATEST_SURGES, values)]

    async def save_surge_state(self, state: bytes, instance: str = "") -> None:
        stamp = self.dialect.time(datetime.now(UTC))
        name = instance or surges.STATE_NAME
        await self._execute(surges.SAVE_STATE, (name, state, stamp))

    async def load_surge_state(self, instance: str = "") -> bytes | None:
        name = instance or surges.STATE_NAME
        return surges.state_bytes(await self._rows(surges.LOAD_STATE, (name,)))

    async def record_feedback(self, given: Feedback) -> Feedback | None:
        return await self._perform(feedback.record(self.dialect, given), write=True)

    async def feedback_history(self, alert_ids: Sequence[str]) -> dict[str, list[Feedback]]:
        if not alert_ids:
            return {}
        statement = feedback.history_of(self.dialect, len(alert_ids))
        return feedback.histories(await self._rows(statement, self.dialect.list_values(alert_ids)))

    async def rule_feedback(self, since: datetime) -> list[RuleFeedback]:
        found = await self._rows(feedback.RULE_FEEDBACK, (self.dialect.time(since),))
        return [feedback.rule_feedback(row) for row in found]
