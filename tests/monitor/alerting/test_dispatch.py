"""Dispatch: outcomes of sends, retry with backoff, dead letters, secret redaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import notifiers
from monitor.alerting.delivery_metrics import Outcome
from monitor.alerting.dispatch import Dispatcher
from monitor.alerting.retries import MAX_BACKOFF, backoff
from monitor.observability import Redactor
from monitor.records.models import DedupDecision, Verdict
from monitor.store.interface import Store
from tests.support.one_alert import ALERT, ARTICLE, NOW, ScriptedChannel
from tests.support.stores import STORE_BACKENDS, opened_store

SECRET = "https://hooks.example.org/T0/SECRET-TOKEN-123"


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        await store.record_article(ARTICLE, DedupDecision(Verdict.NEW_STORY, "s1"), [ALERT])
        yield store


def _dispatcher(
    store: Store,
    channel: ScriptedChannel,
    *,
    max_attempts: int = 3,
    clock: list[datetime] | None = None,
) -> Dispatcher:
    moments = clock or [NOW]
    return Dispatcher(
        store,
        {channel.name: channel},
        max_attempts=max_attempts,
        redact=Redactor([SECRET]),
        clock=lambda: moments[0],
    )


async def test_a_successful_send_marks_the_delivery_sent(store: Store) -> None:
    channel = ScriptedChannel("hook", [])
    summary = await _dispatcher(store, channel).sweep()
    assert summary.sent == 1
    assert [alert.alert_id for alert in channel.sent] == ["al1"]
    assert await store.delivery_counts() == {"sent": 1}
    assert (await _dispatcher(store, channel).sweep()).sent == 0


async def test_retryable_failure_is_retried_after_backoff(store: Store) -> None:
    channel = ScriptedChannel("hook", [notifiers.NotifyError("503", retryable=True)])
    clock = [NOW]
    dispatcher = _dispatcher(store, channel, clock=clock)
    assert (await dispatcher.sweep()).outcomes[Outcome.RETRY] == 1
    assert (await dispatcher.sweep()).outcomes == {}
    clock[0] = NOW + MAX_BACKOFF
    assert (await dispatcher.sweep()).sent == 1


async def test_retry_after_is_honoured(store: Store) -> None:
    channel = ScriptedChannel(
        "hook", [notifiers.NotifyError("429", retryable=True, retry_after=120)]
    )
    await _dispatcher(store, channel).sweep()
    assert await store.due_deliveries(NOW + timedelta(seconds=119), 10) == []
    assert len(await store.due_deliveries(NOW + timedelta(seconds=120), 10)) == 1


@pytest.mark.parametrize(
    ("failures", "max_attempts", "reason"),
    [
        ([notifiers.NotifyError("400 bad request", retryable=False)], 3, "not_retryable"),
        ([notifiers.NotifyError("503", retryable=True)] * 2, 2, "retry_budget_spent"),
        ([RuntimeError("plugin bug")], 3, "plugin_error"),
    ],
)
async def test_failures_dead_letter_the_delivery_saying_why(
    store: Store, failures: list[BaseException], max_attempts: int, reason: str
) -> None:
    channel = ScriptedChannel("hook", list(failures))
    clock = [NOW]
    dispatcher = _dispatcher(store, channel, max_attempts=max_attempts, clock=clock)
    with capture_logs() as logs:
        for _ in failures:
            await dispatcher.sweep()
            clock[0] += MAX_BACKOFF
    assert await store.delivery_counts() == {"dead": 1}
    assert channel.sent == []
    (dead,) = [entry for entry in logs if entry["event"] == "delivery_dead"]
    assert (dead["reason"], dead["attempts"]) == (reason, len(failures))


async def test_unconfigured_channel_dead_letters(store: Store) -> None:
    with capture_logs() as logs:
        await _dispatcher(store, ScriptedChannel("other", [])).sweep()
    assert await store.delivery_counts() == {"dead": 1}
    (dead,) = [entry for entry in logs if entry["event"] == "delivery_dead"]
    assert (dead["reason"], dead["notifier"]) == ("notifier_not_configured", "hook")


async def test_secrets_are_redacted_from_stored_errors_and_logs(store: Store) -> None:
    channel = ScriptedChannel(
        "hook", [notifiers.NotifyError(f"POST {SECRET} failed", retryable=True)]
    )
    with capture_logs() as logs:
        await _dispatcher(store, channel).sweep()
    (due,) = await store.due_deliveries(NOW + MAX_BACKOFF, 10)
    assert due.delivery.last_error == "POST [redacted] failed"
    assert logs and all(SECRET not in str(entry) for entry in logs)
    assert logs[0]["notifier"] == "hook" and logs[0]["story_id"] == "s1"


@pytest.mark.parametrize("attempts", [1, 2, 5, 20, 10_000])
def test_backoff_grows_and_is_capped(attempts: int) -> None:
    assert timedelta(0) < backoff(attempts) <= MAX_BACKOFF
