"""Earlier verdicts beside a backtest's would-be alerts (``wirewatch rules backtest``).

For each story a rule would alert on, the latest verdict readers gave an alert the rule
really raised on it (``wirewatch alerts mark``, a message's link, the API); and per
rule, the judged alerts it raised since the backtest's start that it would no longer
raise, counted by verdict: what a rule change wins or loses, in readers' words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.records import AlertVerdict, Feedback, RuleFeedback
from monitor.store import Store


@dataclass
class EarlierVerdicts:
    """One rule's verdicts: by story it would alert on, and those it would now miss."""

    by_story: dict[str, Feedback] = field(default_factory=dict)
    missed: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """ "earlier verdicts: 2 useful, 1 false_positive; no longer raised: 1 useful"."""
        kept = Counter(verdict.verdict.value for verdict in self.by_story.values())
        parts = [f"earlier verdicts on these stories: {_counts(kept) or 'none'}"]
        if self.missed:
            parts.append(f"judged alerts it would no longer raise: {_counts(self.missed)}")
        return "; ".join(parts)


async def earlier_verdicts(
    store: Store, stories: Mapping[str, set[str]], since: datetime
) -> dict[str, EarlierVerdicts]:
    """Per rule of ``stories`` (rule → the stories it would alert on), its earlier verdicts."""
    every = sorted({story for found in stories.values() for story in found})
    alerts = await store.story_alerts(every) if every else []
    judged = await store.feedback_history([alert.alert_id for alert in alerts])
    found: dict[str, EarlierVerdicts] = {rule: EarlierVerdicts() for rule in stories}
    for alert in alerts:
        history = judged.get(alert.alert_id)
        if history and alert.rule in found and alert.story_id in stories[alert.rule]:
            _keep_latest(found[alert.rule].by_story, alert.story_id, history[-1])
    for counted in await store.rule_feedback(since):
        if counted.rule in found:
            found[counted.rule].missed = _missed(_by_kind(counted), found[counted.rule])
    return found


def _by_kind(counted: RuleFeedback) -> Counter[str]:
    return Counter({kind.value: int(getattr(counted, kind.value)) for kind in AlertVerdict})


def _missed(all_judged: Counter[str], kept: EarlierVerdicts) -> Counter[str]:
    """The rule's judged alerts since the start, less those on stories it still alerts on
    (an approximation when a story had several judged alerts of the rule)."""
    still = Counter(verdict.verdict.value for verdict in kept.by_story.values())
    return +(all_judged - still)


def _keep_latest(by_story: dict[str, Feedback], story: str, verdict: Feedback) -> None:
    earlier = by_story.get(story)
    if earlier is None or (verdict.feedback_id or 0) > (earlier.feedback_id or 0):
        by_story[story] = verdict


def _counts(counter: Mapping[str, int]) -> str:
    return ", ".join(
        f"{counter[kind.value]} {kind.value}" for kind in AlertVerdict if counter.get(kind.value)
    )


def verdict_line(verdict: Feedback | None) -> Sequence[str]:
    """A sample's earlier verdict, as a line (none when it had none)."""
    if verdict is None:
        return []
    note = f": {' '.join(verdict.note.split())[:120]}" if verdict.note else ""
    return [f"earlier verdict: {verdict.verdict.value} by {verdict.judged_by}{note}"]
