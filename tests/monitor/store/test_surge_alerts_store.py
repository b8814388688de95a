"""Surge alerts in the outbox, on both backends: queued with their surge in one
transaction, on the top story's first article, once per surge, read back with evidence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting.outbox import to_alert
from monitor.alerting.routing import Routes
from monitor.alerting.surge_alerts import surge_alerts
from monitor.config import SurgeSettings
from monitor.records import AlertRecord, Article, DedupDecision, Verdict
from monitor.store.interface import Store
from monitor.surges import Surge, SurgeKind, surge_id
from rules import Severity
from tests.support.stores import STORE_BACKENDS, opened_store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ROUTES = Routes(enabled=("hook", "mail"))


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


def _surge(key: str, top: str = "s1", kind: SurgeKind = SurgeKind.NAME) -> Surge:
    start = NOW - timedelta(minutes=60)
    return Surge(
        surge_id=surge_id(kind, key, start), kind=kind, key=key, label=key.title(),
        window_start=start, window_end=NOW, fired_at=NOW, count=14, expected=1.25,
        outlets=9, score=11.5,
        top_stories=((top, "انفجار في ميناء بيروت", 6), ("s2", "Взрыв в порту Бейрута", 3)),
        top_outlets=("wire:Reuters", "http://a.test/feed"),
    )  # fmt: skip


async def _story(store: Store, story_id: str, *articles: str) -> None:
    for number, article_id in enumerate(articles):
        article = Article(
            article_id=article_id, feed_url=f"https://wire{number}.example/feed",
            feed_name=f"Wire {number}", guid=article_id, title=f"Beirut port blast {number}",
            link=f"https://wire{number}.example/{article_id}", summary="", content="",
            published=None, fetched_at=NOW - timedelta(minutes=30 - number),
        )  # fmt: skip
        verdict = Verdict.FOLDED if number else Verdict.NEW_STORY
        await store.record_article(article, DedupDecision(verdict, story_id), [])


async def test_a_surge_alert_is_filed_on_its_top_storys_first_article(store: Store) -> None:
    await _story(store, "s1", "a_first", "a_second")
    surge = _surge("beirut")
    planned = surge_alerts([surge], SurgeSettings(notifiers=("hook",)), ROUTES)
    (created,) = await store.record_surge_alerts([surge], planned)
    assert (created.alert_id, created.story_id, created.article_id) == (
        "su_" + surge.surge_id, "s1", "a_first",
    )  # fmt: skip
    assert (created.rule, created.severity, created.notifiers) == (
        "surge:name:beirut", "medium", ("hook",),
    )  # fmt: skip
    assert await store.list_surges(NOW - timedelta(days=1)) == [surge]
    (due,) = await store.due_deliveries(NOW, 10)
    assert due.surge == surge
    alert = to_alert(due)
    assert (alert.title, alert.link, alert.event) == (
        "Beirut port blast 0", "https://wire0.example/a_first", "new",
    )  # fmt: skip
    assert alert.surge is not None
    assert (alert.surge.count, alert.surge.expected, alert.surge.window_end) == (14, 1.25, NOW)
    assert [story.title for story in alert.surge.top_stories] == [
        "انفجار في ميناء بيروت", "Взрыв в порту Бейрута",
    ]  # fmt: skip


async def test_a_surge_is_queued_once_however_often_it_is_reported(store: Store) -> None:
    await _story(store, "s1", "a_first")
    surge = _surge("beirut")
    planned = surge_alerts([surge], SurgeSettings(notifiers=("hook", "mail")), ROUTES)
    assert len(await store.record_surge_alerts([surge], planned)) == 1
    assert await store.record_surge_alerts([surge], planned) == []
    assert sorted(d.delivery.notifier for d in await store.due_deliveries(NOW, 10)) == [
        "hook", "mail",
    ]  # fmt: skip


async def test_two_surges_on_one_story_are_two_alerts(store: Store) -> None:
    await _story(store, "s1", "a_first")
    fired = [_surge("beirut"), _surge("lebanon"), _surge("s1", kind=SurgeKind.STORY)]
    planned = surge_alerts(fired, SurgeSettings(notifiers=("hook",)), ROUTES)
    created = await store.record_surge_alerts(fired, planned)
    assert sorted(alert.rule for alert in created) == [
        "surge:name:beirut", "surge:name:lebanon", "surge:story:s1",
    ]  # fmt: skip


async def test_a_surge_whose_story_is_gone_is_kept_without_an_alert(store: Store) -> None:
    surge = _surge("beirut", top="s_pruned")
    planned = surge_alerts([surge], SurgeSettings(notifiers=("hook",)), ROUTES)
    assert await store.record_surge_alerts([surge], planned) == []
    assert await store.list_surges(NOW - timedelta(days=1)) == [surge]
    assert await store.due_deliveries(NOW, 10) == []


async def test_a_rule_alerts_delivery_carries_no_surge(store: Store) -> None:
    await _story(store, "s1", "a_first")
    alert = AlertRecord(
        alert_id="al_1", story_id="s1", article_id="a_first", rule="watch", severity=Severity.HIGH,
        terms=("Beirut",), notifiers=("hook",), created_at=NOW,
    )  # fmt: skip
    article = Article(
        article_id="a_rule", feed_url="https://x.example/feed", feed_name="X", guid="r",
        title="Beirut", link="https://x.example/r", summary="", content="", published=None,
        fetched_at=NOW,
    )  # fmt: skip
    await store.record_article(article, DedupDecision(Verdict.FOLDED, "s1"), [alert])
    (due,) = await store.due_deliveries(NOW, 10)
    assert due.surge is None
    assert to_alert(due).surge is None


@pytest.mark.parametrize(
    ("listed", "routes", "expected"),
    [
        ((), Routes(enabled=("hook", "mail")), None),
        (("hook",), Routes(("hook", "mail"), severity_routes={"low": ("mail",)}), ("hook",)),
        (("hook", "mail"), Routes(enabled=("mail",)), ("mail",)),
        (("hook",), Routes(enabled=("hook",), min_severity={"hook": "high"}), None),
    ],
)
def test_surge_alerts_go_only_to_the_notifiers_surge_lists(
    listed: tuple[str, ...], routes: Routes, expected: tuple[str, ...] | None
) -> None:
    planned = surge_alerts([_surge("beirut")], SurgeSettings(notifiers=listed), routes)
    assert [alert.notifiers for alert in planned] == ([expected] if expected else [])


@pytest.mark.parametrize(("later", "queued"), [(timedelta(minutes=20), 0), (timedelta(hours=7), 1)])
async def test_another_daemons_surge_of_the_same_key_within_the_cooldown_is_not_queued(
    store: Store, later: timedelta, queued: int
) -> None:
    await _story(store, "s1", "a_first")
    settings, cooldown = SurgeSettings(notifiers=("hook",)), timedelta(hours=6)
    first = _surge("beirut")  # one daemon's view of the name's outlets
    await store.record_surge_alerts([first], surge_alerts([first], settings, ROUTES), cooldown)
    start = first.window_start + later + timedelta(minutes=7)  # the other daemon's window
    second = replace(
        first, surge_id=surge_id(SurgeKind.NAME, "beirut", start), window_start=start,
        window_end=first.window_end + later, fired_at=first.fired_at + later,
    )  # fmt: skip
    planned = surge_alerts([second], settings, ROUTES)
    assert len(await store.record_surge_alerts([second], planned, cooldown)) == queued
    kept = await store.list_surges(NOW - timedelta(days=1))
    assert [surge.surge_id for surge in kept] == [first.surge_id, second.surge_id][: 1 + queued]


@pytest.mark.parametrize(
    ("alert_id", "surge"),
    [("su_3f9a", "3f9a"), ("al_3f9a", None), ("sub3f9a", None), ("su", None)],
)
def test_an_alert_is_a_surges_by_its_id_prefix(alert_id: str, surge: str | None) -> None:
    alert = AlertRecord(
        alert_id=alert_id, story_id="s1", article_id="a1", rule="watch", severity=Severity.LOW,
        terms=(), notifiers=("hook",), created_at=NOW,
    )  # fmt: skip
    assert (alert.is_surge, alert.surge_id) == (surge is not None, surge)
