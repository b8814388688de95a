"""``/rules``: the rules running now, each with how often it has alerted (over the alerts
kept) and readers' verdicts on its recent alerts, with its precision."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from monitor.api.models import QueryModel, Severity
from monitor.api.paging import UtcTime
from monitor.api.routing import Call, Endpoint, Reply
from monitor.api.source import ApiSource
from monitor.records import RuleFeedback
from monitor.store import RuleCount

FEEDBACK_SPAN = timedelta(days=30)  # as `wirewatch rules stats`


class RuleVerdicts(BaseModel):
    """Readers' verdicts on the rule's alerts raised since ``since`` (the latest verdict
    on each alert counts), as ``wirewatch rules stats`` shows them."""

    since: UtcTime
    alerts: int = Field(description="alerts raised since then (surge alerts left out)")
    useful: int
    false_positive: int
    duplicate: int
    precision: float | None = Field(
        description="useful / (useful + false_positive); null before either verdict"
    )


class Rule(BaseModel):
    name: str
    description: str
    severity: Severity
    enabled: bool
    notifiers: list[str] = Field(description="empty: every notifier")
    alerts: int = Field(description="alerts it raised, updates included, over those kept")
    stories: int = Field(description="stories it alerted on")
    last_alert_at: UtcTime | None
    feedback: RuleVerdicts


class RuleQuery(QueryModel):
    since: UtcTime | None = Field(None, description="verdicts on alerts raised since (30 days)")


class RuleList(BaseModel):
    items: list[Rule] = Field(description="in the order the rule set lists them")


def rule_endpoints(source: ApiSource) -> list[Endpoint]:
    async def list_rules(call: Call) -> Reply:
        since = call.query.since or call.now - FEEDBACK_SPAN
        counts = {count.rule: count for count in await source.store.rule_counts()}
        judged = {item.rule: item for item in await source.store.rule_feedback(since)}
        items = []
        for rule in source.config().ruleset.rules:
            count = counts.get(rule.name) or RuleCount(rule.name, 0, 0, None)
            verdicts = judged.get(rule.name) or RuleFeedback(rule.name, 0)
            items.append(Rule(
                name=rule.name, description=rule.description, severity=rule.severity.value,
                enabled=rule.enabled, notifiers=list(rule.notifiers), alerts=count.alerts,
                stories=count.stories, last_alert_at=count.last_alert,
                feedback=RuleVerdicts(
                    since=since, alerts=verdicts.alerts, useful=verdicts.useful,
                    false_positive=verdicts.false_positive, duplicate=verdicts.duplicate,
                    precision=verdicts.precision),
            ))  # fmt: skip
        return Reply(RuleList(items=items))

    return [Endpoint("GET", "/rules", list_rules, "The rules, with their match counts and "
                     "precision from readers' verdicts", "rules", RuleList,
                     query=RuleQuery)]  # fmt: skip
