"""Story-aware alert semantics: the first match alerts, later articles only on material change.

Every case runs through a real store, SQLite and PostgreSQL: planning happens inside the transaction
that stores the article, exactly as the pipeline does it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import rules
from monitor.alerting import Routes
from monitor.config.alerting import AlertingSettings, RuleUpdates, UpdateSettings
from monitor.ingest.story_alerts import AlertPolicy, LatePagePlan
from monitor.records import (
    DedupDecision,
    RuleHistory,
    StoryAlertState,
    Verdict,
    alert_id_for,
)
from monitor.store.interface import Store
from rules import Severity
from tests.support.stores import STORE_BACKENDS, opened_store
from tests.support.stories import NOW, StoryDesk, article, match

UPDATES = UpdateSettings(outlets=(3, 10), escalation=("escalation",), severity=True)


@pytest.fixture(name="store", params=STORE_BACKENDS)
async def _store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with opened_store(request.param, tmp_path) as store:
        yield store


def _policy(
    updates: UpdateSettings = UPDATES, per_rule: dict[str, RuleUpdates] | None = None
) -> AlertPolicy:
    settings = AlertingSettings(updates=updates, rules=per_rule or {})
    return AlertPolicy(Routes(("slack", "email")), settings)


async def test_first_match_alerts_and_later_matching_articles_stay_quiet(
    store: Store,
) -> None:
    """One story, three matching articles from one and two outlets: one alert only."""
    desk = StoryDesk(store, _policy())
    (first,) = await desk.report("Port shelled overnight", outlet=1, matches=[match()])
    assert (first.event, first.outlets, first.notifiers) == ("new", 1, ("slack", "email"))
    assert first.alert_id == alert_id_for("s1", "port-shelling", "new")
    assert await desk.report("Port shelled overnight", outlet=2, matches=[match()]) == []
    assert await desk.report("More shelling at port", outlet=1, matches=[match()]) == []


async def test_crossing_outlet_thresholds_raises_one_update_each(store: Store) -> None:
    """Outlets 1 → 2 → 3 → 4 → 10: updates at 3 and at 10, even from non-matching articles."""
    desk = StoryDesk(store, _policy())
    await desk.report("Port shelled", outlet=1, matches=[match()])
    assert await desk.report("Port shelled", outlet=2) == []
    (at_three,) = await desk.report("Port shelled", outlet=3)
    assert (at_three.event, at_three.reason) == ("outlets>=3", "reported by 3 outlets")
    assert at_three.terms == ("shelling",)  # what the story was alerted for
    for outlet in range(4, 10):
        assert await desk.report("Port shelled", outlet=outlet) == []
    (at_ten,) = await desk.report("Port shelled", outlet=10)
    assert at_ten.event == "outlets>=10"
    assert await desk.report("Port shelled", outlet=11) == []


async def test_a_jump_past_several_thresholds_raises_only_the_highest(store: Store) -> None:
    """Eleven outlets reported while outlet updates were off; the 12th: one update, ">=10"."""
    desk = StoryDesk(store, _policy(UpdateSettings(outlets=())))
    await desk.report("Port shelled", outlet=1, matches=[match()])
    for outlet in range(2, 12):
        assert await desk.report("Port shelled", outlet=outlet) == []
    desk.policy = _policy()
    (update,) = await desk.report("Port shelled", outlet=12)
    assert update.event == "outlets>=10"


async def test_a_first_alert_raised_late_does_not_update_for_thresholds_it_already_saw(
    store: Store,
) -> None:
    """The rule first matches the 4th outlet's wording: no ">=3" update on the 5th outlet."""
    desk = StoryDesk(store, _policy())
    for outlet in (1, 2, 3):
        await desk.report("Port shelled", outlet=outlet)
    (first,) = await desk.report("Port shelled", outlet=4, matches=[match()])
    assert (first.event, first.outlets) == ("new", 4)
    assert await desk.report("Port shelled", outlet=5) == []


@pytest.mark.parametrize(
    ("later", "event", "reason"),
    [
        pytest.param(
            match(severity="high"), "severity:high", "severity raised to high", id="higher"
        ),
        pytest.param(match(severity="low"), None, None, id="lower-is-no-change"),
        pytest.param(
            match(terms=("shelling", "air strike"), refs=(None, "escalation")),
            "term:air strike",
            "new term: air strike",
            id="escalation-list",
        ),
        pytest.param(
            match(terms=("shelling", "Escalation")), "term:escalation", None, id="literal-term"
        ),
        pytest.param(match(terms=("shelling", "port")), None, None, id="other-term-no-change"),
        pytest.param(
            match(severity="critical", terms=("shelling", "offensive"), refs=(None, "escalation")),
            "severity:critical+term:offensive",
            "severity raised to critical; new term: offensive",
            id="combined",
        ),
    ],
)
async def test_match_changes_raise_updates(
    store: Store, later: rules.Match, event: str | None, reason: str | None
) -> None:
    """Severity up, or a new escalation term (by list or literally): one update, keyed."""
    desk = StoryDesk(store, _policy())
    await desk.report("Port shelled", outlet=1, matches=[match()])
    created = await desk.report("Port shelled again", outlet=1, matches=[later])
    assert [alert.event for alert in created] == ([event] if event else [])
    if reason is not None:
        assert created[0].reason == reason


async def test_escalation_terms_already_alerted_do_not_update_again(store: Store) -> None:
    """A term counts as new once: the second article hitting it raises nothing."""
    desk = StoryDesk(store, _policy())
    escalated = match(terms=("shelling", "air strike"), refs=(None, "escalation"))
    await desk.report("Port shelled", outlet=1, matches=[match()])
    assert len(await desk.report("Air strike on port", outlet=1, matches=[escalated])) == 1
    assert await desk.report("Air strike on port", outlet=1, matches=[escalated]) == []


async def test_rules_inherit_defaults_and_override_them(store: Store) -> None:
    """[alerting.rules.NAME] replaces only the keys it sets."""
    policy = _policy(per_rule={"port-shelling": RuleUpdates(outlets=(2,), severity=False)})
    desk = StoryDesk(store, policy)
    await desk.report("Port shelled", outlet=1, matches=[match()])
    (update,) = await desk.report("Port shelled", outlet=2, matches=[match(severity="critical")])
    assert (update.event, update.severity) == ("outlets>=2", "critical")
    assert policy.settings.updates_for("port-shelling").escalation == ("escalation",)


async def test_updates_are_off_by_default(store: Store) -> None:
    """Without [alerting.updates], outlets never re-alert (0.1 behaviour); severity does."""
    desk = StoryDesk(store, AlertPolicy(Routes(("slack",))))
    await desk.report("Port shelled", outlet=1, matches=[match()])
    for outlet in range(2, 12):
        assert await desk.report("Port shelled", outlet=outlet) == []
    assert len(await desk.report("x", outlet=12, matches=[match(severity="high")])) == 1


async def test_each_rule_has_its_own_lifecycle(store: Store) -> None:
    """A second rule matching later raises its own "new"; thresholds update both."""
    desk = StoryDesk(store, _policy())
    await desk.report("Port shelled", outlet=1, matches=[match()])
    (other,) = await desk.report("Port shelled", outlet=2, matches=[match("ports")])
    assert (other.rule, other.event) == ("ports", "new")
    updates = await desk.report("Port shelled", outlet=3)
    assert sorted((alert.rule, alert.event) for alert in updates) == [
        ("port-shelling", "outlets>=3"),
        ("ports", "outlets>=3"),
    ]


@pytest.mark.parametrize(
    ("severity", "rule_notifiers", "expected"),
    [
        ("low", (), ("slack",)),  # email takes medium and up
        ("medium", (), ("slack", "email")),
        ("medium", ("email",), ("email",)),
        ("critical", ("slack",), ("slack", "pager")),  # severity route adds the pager
        ("high", ("slack",), ("slack",)),
        ("critical", ("gone",), ("pager",)),  # a disabled notifier is dropped
    ],
)
def test_routes_combine_rule_lists_severity_routes_and_minimums(
    severity: str, rule_notifiers: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    routes = Routes(
        ("slack", "email", "pager"),
        severity_routes={"critical": ("pager",)},
        min_severity={"email": "medium", "pager": "critical"},
    )
    assert routes.for_alert(rule_notifiers, severity) == expected


_EARLIER = RuleHistory(frozenset({"new"}), 1, Severity.MEDIUM, frozenset({"shelling"}))


@pytest.mark.parametrize(
    ("history", "page_match", "planned"),
    [
        pytest.param(None, match(), [("page:match", "medium", "article page read late")],
                     id="rule-fires-first"),
        pytest.param(_EARLIER, match(), [], id="nothing-new"),
        pytest.param(_EARLIER, match(terms=("Shelling",)), [], id="same-term-other-case"),
        pytest.param(_EARLIER, match(terms=("shelling", "port")),
                     [("page:term:port", "medium", "article page read late; new term: port")],
                     id="new-term-not-an-escalation-term"),
        pytest.param(_EARLIER, match(severity="high"),
                     [("page:severity:high", "high",
                       "article page read late; severity raised to high")],
                     id="higher-severity"),
        pytest.param(_EARLIER, match(severity="low", terms=("shelling", "pier", "dock")),
                     [("page:term:dock", "medium",
                       "article page read late; new terms: dock, pier")],
                     id="lower-severity-kept-new-terms"),
    ],
)  # fmt: skip
def test_a_late_page_plans_follow_ups_on_what_it_adds(
    history: RuleHistory | None, page_match: rules.Match, planned: list[tuple[str, str, str]]
) -> None:
    """Whatever ``[alerting.updates]`` says (here: nothing re-alerts), a late page adds a
    follow-up for a rule it makes fire, a new term or a higher severity; outlets no."""
    quiet = AlertPolicy(Routes(("hook",)), AlertingSettings(updates=UpdateSettings(severity=False)))
    reported = article("Port shelled", outlet=1, number=1)
    plan = LatePagePlan(quiet, reported, DedupDecision(Verdict.NEW_STORY, "s1"), (page_match,), NOW)
    state = StoryAlertState("s1", 7, {"port-shelling": history} if history else {})
    alerts = plan(state)
    assert [(a.event, a.severity, a.reason) for a in alerts] == planned
    assert all(a.alert_id == alert_id_for("s1", "port-shelling", a.event) for a in alerts)
    assert all(a.story_id == "s1" for a in alerts)


@pytest.mark.parametrize(
    ("verdict", "matches", "planned"),
    [
        pytest.param(Verdict.NEW_STORY, (), False, id="opens-a-story-no-rule-fires"),
        pytest.param(Verdict.NEW_STORY, (match(),), True, id="opens-a-story-a-rule-fires"),
        pytest.param(Verdict.FOLDED, (), True, id="folded-no-rule-fires"),
    ],
)  # fmt: skip
def test_an_article_opening_a_story_no_rule_fires_on_plans_nothing(
    verdict: Verdict, matches: tuple[rules.Match, ...], planned: bool
) -> None:
    """Its story is new, so no earlier alert can be followed up: no alert state is read for it
    (an empty list for the store), while a folded article may still update its story."""
    reported = article("Port shelled", outlet=1, number=1)
    plan = _policy().plan(reported, DedupDecision(verdict, "s1"), matches, NOW)
    assert callable(plan) is planned
    if not planned:
        assert plan == ()


async def test_a_story_opened_without_a_match_alerts_when_a_later_article_fires(
    store: Store,
) -> None:
    """Nothing stored for the opening article; the first matching one raises the "new"
    alert, and outlet updates follow from there."""
    desk = StoryDesk(store, _policy())
    assert await desk.report("Port quiet", outlet=1) == []
    (first,) = await desk.report("Port shelled", outlet=2, matches=[match()])
    assert (first.event, first.outlets) == ("new", 2)
    (at_three,) = await desk.report("Port shelled", outlet=3)
    assert at_three.event == "outlets>=3"
