"""``/rules``: the rules running now, each with how often it has alerted."""

from __future__ import annotations

from pydantic import BaseModel, Field

from monitor.api.models import Severity
from monitor.api.paging import UtcTime
from monitor.api.routing import Call, Endpoint, Reply
from monitor.api.source import ApiSource
from monitor.store import RuleCount


class Rule(BaseModel):
    name: str
    description: str
    severity: Severity
    enabled: bool
    notifiers: list[str] = Field(description="empty: every notifier")
    alerts: int = Field(description="alerts it raised, updates included, over those kept")
    stories: int = Field(description="stories it alerted on")
    last_alert_at: UtcTime | None


class RuleList(BaseModel):
    items: list[Rule] = Field(description="in the order the rule set lists them")


def rule_endpoints(source: ApiSource) -> list[Endpoint]:
    async def list_rules(_call: Call) -> Reply:
        counts = {count.rule: count for count in await source.store.rule_counts()}
        items = []
        for rule in source.config().ruleset.rules:
            count = counts.get(rule.name) or RuleCount(rule.name, 0, 0, None)
            items.append(Rule(
                name=rule.name, description=rule.description, severity=rule.severity.value,
                enabled=rule.enabled, notifiers=list(rule.notifiers), alerts=count.alerts,
                stories=count.stories, last_alert_at=count.last_alert,
            ))  # fmt: skip
        return Reply(RuleList(items=items))

    return [Endpoint("GET", "/rules", list_rules, "The rules, with their match counts",
                     "rules", RuleList)]  # fmt: skip
