"""Surges as alerts: each fired surge becomes one ordinary alert in the durable outbox.

So it is routed, held (quiet hours, digests, rate limits), silenced, retried and rendered
like any other. It is filed on its top story (title and link are that story's) under the
rule ``surge:<kind>:<key>`` (``silence add --rule surge`` or ``surge:name`` covers a
whole kind), its id is ``su_`` and the surge's id, so it is queued once per surge even
across restarts, and the notifier reads its evidence from the surge the store keeps
(docs/decisions/0044-surge-alerts.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import notifiers
from monitor.alerting.routing import Routes
from monitor.config import SurgeSettings
from monitor.records import SURGE_ALERT, AlertRecord, surge_rule
from monitor.surges import Surge, SurgeKind


def surge_alert(surge: Surge, settings: SurgeSettings, routes: Routes) -> AlertRecord | None:
    """The alert that carries ``surge``; None when it names no story to file it on or
    none of the notifiers ``[surge] notifiers`` lists would get it."""
    severity = settings.severity
    chosen = surge_notifiers(settings, routes)
    if not surge.top_stories or not chosen:
        return None
    return AlertRecord(
        alert_id=SURGE_ALERT + surge.surge_id,
        story_id=surge.top_stories[0][0],
        article_id="",  # the story's first article, looked up as the alert is stored
        rule=surge_rule(surge.kind.value, surge.key),
        severity=severity,
        terms=(),
        notifiers=chosen,
        created_at=surge.fired_at,
        event="surge:" + surge.surge_id,
        outlets=surge.outlets,
        reason=f"{surge.count} reports from {surge.outlets} outlets, {surge.expected:.1f} expected",
    )


def surge_notifiers(settings: SurgeSettings, routes: Routes) -> tuple[str, ...]:
    """Only the notifiers ``[surge] notifiers`` names, each if enabled and its minimum
    severity allows: an empty list sends no surge alerts, and severity routes add none,
    so an install that never asked for surges is not alerted of them (decision 0044)."""
    wanted = routes.for_alert(settings.notifiers, settings.severity) if settings.notifiers else ()
    return tuple(name for name in wanted if name in settings.notifiers)


def surge_alerts(
    fired: Sequence[Surge], settings: SurgeSettings, routes: Routes
) -> list[AlertRecord]:
    planned = (surge_alert(surge, settings, routes) for surge in fired)
    return [alert for alert in planned if alert is not None]


_KIND_NAMES: dict[SurgeKind, notifiers.SurgeKindName] = {
    SurgeKind.STORY: "story", SurgeKind.RULE: "rule", SurgeKind.NAME: "name",
}  # fmt: skip


def evidence(surge: Surge) -> notifiers.SurgeEvidence:
    """What a notifier is shown of a surge."""
    stories = tuple(notifiers.SurgeStory(*story) for story in surge.top_stories)
    return notifiers.SurgeEvidence(
        kind=_KIND_NAMES[surge.kind],
        key=surge.key,
        label=surge.label,
        count=surge.count,
        expected=surge.expected,
        outlets=surge.outlets,
        score=surge.score,
        window_start=surge.window_start,
        window_end=surge.window_end,
        top_stories=stories,
        top_outlets=surge.top_outlets,
    )
