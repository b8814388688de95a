"""Readers' verdicts on alerts are kept as history on both backends; the latest counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar, cast

import pytest

from monitor.alerting import Routes
from monitor.config import RetentionSettings
from monitor.ingest.story_alerts import AlertPolicy
from monitor.records import AlertRecord, AlertVerdict, Feedback, RuleFeedback
from monitor.store.interface import Store
from monitor.store.retention import run_retention
from monitor.store.sql.steps import Steps
from tests.support.stores import STORE_BACKENDS, opened_store
from tests.support.stories import NOW, StoryDesk, match

T = TypeVar("T")


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


async def _alert(
    store: Store, story: str, rule: str = "port-shelling", notifiers: tuple[str, ...] = ("hook",)
) -> AlertRecord:
    desk = StoryDesk(store, AlertPolicy(Routes(notifiers)), story_id=story)
    (raised,) = await desk.report(f"Shelling hits {story}", outlet=1, matches=[match(rule)])
    return raised


def _verdict(alert_id: str, verdict: AlertVerdict, minutes: int = 0, note: str = "") -> Feedback:
    at = NOW + timedelta(minutes=minutes)
    return Feedback(alert_id, verdict, judged_by="cli", judged_at=at, note=note)


async def test_a_verdict_is_kept_with_its_alerts_rule(store: Store) -> None:
    alert = await _alert(store, "s1")
    kept = await store.record_feedback(_verdict(alert.alert_id, AlertVerdict.USEFUL, note="«да»"))
    assert kept is not None and kept.feedback_id is not None
    assert (kept.rule, kept.note) == ("port-shelling", "«да»")
    assert await store.feedback_history([alert.alert_id]) == {alert.alert_id: [kept]}


async def test_a_verdict_on_an_unknown_alert_keeps_nothing(store: Store) -> None:
    assert await store.record_feedback(_verdict("al_missing", AlertVerdict.USEFUL)) is None
    assert await store.feedback_history(["al_missing"]) == {}


async def test_a_later_verdict_joins_the_history_and_counts(store: Store) -> None:
    alert = await _alert(store, "s1")
    await store.record_feedback(_verdict(alert.alert_id, AlertVerdict.USEFUL))
    await store.record_feedback(_verdict(alert.alert_id, AlertVerdict.FALSE_POSITIVE, 5))
    history = (await store.feedback_history([alert.alert_id]))[alert.alert_id]
    assert [item.verdict for item in history] == ["useful", "false_positive"]
    (listing,) = await store.list_alerts(NOW - timedelta(days=1))
    assert listing.verdict is not None and listing.verdict.verdict == "false_positive"
    assert [item.verdict for item in listing.feedback] == ["useful", "false_positive"]
    (counted,) = await store.rule_feedback(NOW - timedelta(days=1))
    assert counted == RuleFeedback("port-shelling", alerts=1, false_positive=1)


async def test_rule_feedback_counts_each_rules_alerts_and_latest_verdicts(store: Store) -> None:
    alerts = [await _alert(store, f"s{n}", rule) for n, rule in
              enumerate(["port-shelling"] * 4 + ["iran-in-syria"])]  # fmt: skip
    for alert, verdict in zip(alerts, ["useful", "useful", "false_positive"], strict=False):
        await store.record_feedback(_verdict(alert.alert_id, AlertVerdict(verdict)))
    counted = await store.rule_feedback(NOW - timedelta(days=1))
    assert counted == [
        RuleFeedback("iran-in-syria", alerts=1),
        RuleFeedback("port-shelling", alerts=4, useful=2, false_positive=1),
    ]
    assert counted[1].precision == pytest.approx(2 / 3)
    assert counted[0].precision is None
    assert await store.rule_feedback(NOW + timedelta(days=1)) == []


@pytest.mark.parametrize("verdict", list(AlertVerdict))
async def test_rule_feedback_counts_every_kind_of_verdict(
    store: Store, verdict: AlertVerdict
) -> None:
    alert = await _alert(store, "s1")
    await store.record_feedback(_verdict(alert.alert_id, verdict))
    (counted,) = await store.rule_feedback(NOW - timedelta(days=1))
    assert counted == RuleFeedback("port-shelling", alerts=1, **{verdict.value: 1})


def _counting(steps: Steps[T], statements: list[str]) -> Steps[T]:
    """``steps`` as they are, noting each statement they run."""
    answer = None
    try:
        while True:
            query = steps.send(answer)
            statements.append(query.statement)
            answer = yield query
    except StopIteration as done:
        return cast("T", done.value)


async def test_a_page_of_alerts_is_read_in_three_queries_whatever_its_length(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts = [await _alert(store, f"s{n}", notifiers=("hook", "mail")) for n in range(4)]
    await store.record_feedback(_verdict(alerts[0].alert_id, AlertVerdict.USEFUL))
    await store.record_feedback(_verdict(alerts[0].alert_id, AlertVerdict.DUPLICATE, 5))
    await store.record_feedback(_verdict(alerts[2].alert_id, AlertVerdict.FALSE_POSITIVE))
    statements: list[str] = []
    perform = store._perform  # type: ignore[attr-defined]
    counted = lambda steps, **how: perform(_counting(steps, statements), **how)  # noqa: E731
    monkeypatch.setattr(store, "_perform", counted)
    listed = await store.list_alerts(NOW - timedelta(days=1))
    assert len(statements) == 3
    by_id = {listing.alert.alert_id: listing for listing in listed}
    assert sorted(by_id) == sorted(alert.alert_id for alert in alerts)
    assert [item.verdict for item in by_id[alerts[0].alert_id].feedback] == ["useful", "duplicate"]
    assert [item.verdict for item in by_id[alerts[2].alert_id].feedback] == ["false_positive"]
    assert by_id[alerts[1].alert_id].feedback == ()
    for listing in listed:
        assert [item.notifier for item in listing.deliveries] == ["hook", "mail"]
        assert listing.alert.notifiers == ("hook", "mail")


async def test_verdicts_outlive_their_alerts_retention(store: Store) -> None:
    alert = await _alert(store, "s1", notifiers=())  # nothing pending: prunable
    await store.record_feedback(_verdict(alert.alert_id, AlertVerdict.DUPLICATE))
    settings = RetentionSettings(alerts_days=1, articles_days=1, stories_days=1)
    await run_retention(store, settings, NOW + timedelta(days=200), window=timedelta(hours=1))
    assert await store.list_alerts(NOW - timedelta(days=1)) == []
    (kept,) = (await store.feedback_history([alert.alert_id]))[alert.alert_id]
    assert (kept.rule, kept.verdict) == ("port-shelling", "duplicate")
