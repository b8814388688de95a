"""The outbox per notifier, on both backends: one notifier's due deliveries, each
notifier's queue (due now? next when?), and a delivery's first attempt kept."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.records import DeliveryState
from monitor.records.models import AlertRecord, Article, DedupDecision, Verdict
from monitor.store import NotifierQueue
from monitor.store.interface import Store
from monitor.store.sql import statements as sql
from rules import Severity
from tests.support.stores import STORE_BACKENDS, opened_store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def _article(number: int) -> Article:
    return Article(
        article_id=f"a{number}", feed_url=f"http://outlet-{number}/feed", feed_name="Outlet",
        guid=f"g{number}", title=f"Harbour cranes collapse, report {number}",
        link=f"http://outlet-{number}/g{number}", summary="", content="", published=NOW,
        fetched_at=NOW,
    )  # fmt: skip


def _alert(number: int, notifiers: tuple[str, ...]) -> AlertRecord:
    return AlertRecord(
        alert_id=f"al{number}", story_id=f"s{number}", article_id=f"a{number}", rule="cranes",
        severity=Severity.HIGH, terms=("crane",), notifiers=notifiers, created_at=NOW,
    )  # fmt: skip


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        for number, notifiers in ((1, ("hook", "mail")), (2, ("hook",)), (3, ("mail",))):
            decision = DedupDecision(Verdict.NEW_STORY, f"s{number}")
            await store.record_article(_article(number), decision, [_alert(number, notifiers)])
        yield store


async def _delivery_id(store: Store, notifier: str, alert_id: str) -> int:
    due = await store.due_deliveries(NOW, 10, notifier=notifier)
    (found,) = [c.delivery.delivery_id for c in due if c.alert.alert_id == alert_id]
    return found


@pytest.mark.parametrize(
    ("notifier", "alerts"),
    [("hook", ["al1", "al2"]), ("mail", ["al1", "al3"]), ("pager", []), (None, None)],
)
async def test_due_deliveries_of_one_notifier(
    store: Store, notifier: str | None, alerts: list[str] | None
) -> None:
    due = await store.due_deliveries(NOW, 10, notifier=notifier)
    if notifier is None:  # every notifier's, as before
        assert sorted((c.delivery.notifier, c.alert.alert_id) for c in due) == [
            ("hook", "al1"), ("hook", "al2"), ("mail", "al1"), ("mail", "al3"),
        ]  # fmt: skip
    else:
        assert sorted(c.alert.alert_id for c in due) == alerts
        assert {c.delivery.notifier for c in due} <= {notifier}


async def test_each_notifiers_queue_says_whether_any_is_due_and_when_the_next_is(
    store: Store,
) -> None:
    retrying = await _delivery_id(store, "hook", "al2")
    sent = await _delivery_id(store, "hook", "al1")
    await store.update_deliveries(
        [retrying], state=DeliveryState.PENDING, attempts=1, next_attempt_at=LATER, error="503"
    )
    await store.update_deliveries(
        [sent], state=DeliveryState.SENT, attempts=1, next_attempt_at=NOW, error=None
    )
    assert await store.notifier_queues(NOW) == {
        "hook": NotifierQueue(due=False, upcoming=LATER),
        "mail": NotifierQueue(due=True, upcoming=None),
    }
    assert await store.notifier_queues(NOW, "hook") == {"hook": NotifierQueue(False, LATER)}
    assert await store.notifier_queues(LATER, "hook") == {"hook": NotifierQueue(True, None)}
    assert await store.notifier_queues(NOW, "pager") == {}


async def test_the_first_attempt_is_kept_from_the_first_write_that_gives_one(
    store: Store,
) -> None:
    delivery = await _delivery_id(store, "mail", "al3")
    writes = [(None, NOW), (NOW, LATER), (LATER + timedelta(minutes=1), LATER)]
    for first, retry_at in writes:  # a hold (None), then two failed attempts
        await store.update_deliveries(
            [delivery], state=DeliveryState.PENDING, attempts=1, next_attempt_at=retry_at,
            error=None, first_attempt_at=first,
        )  # fmt: skip
    due = await store.due_deliveries(LATER, 10, notifier="mail")
    (kept,) = [c.delivery.first_attempt_at for c in due if c.delivery.delivery_id == delivery]
    assert kept == NOW


async def test_one_notifiers_due_deliveries_are_read_through_its_index(tmp_path: Path) -> None:
    """SQLite: by notifier and next attempt, not a scan of every notifier's due rows."""
    async with opened_store("sqlite", tmp_path):
        with sqlite3.connect(tmp_path / "store.db") as db:
            values = {"now": NOW.isoformat(), "limit": 10, "notifier": "hook"}
            plan = db.execute(f"EXPLAIN QUERY PLAN {sql.PICKS['due_on']}", values).fetchall()
    steps = [row[3] for row in plan]
    assert "SEARCH d USING INDEX deliveries_notifier_due (notifier=? AND next_attempt_at<?)" in (
        steps
    )
