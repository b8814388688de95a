"""Story-aware alert semantics: one alert per story and rule, updates only on real change.

The first matching article of a story raises the rule's ``"new"`` alert. Later
articles of the story raise nothing, unless the story materially changed since the
rule's last alert (per rule, ``[alerting.updates]`` / ``[alerting.rules.NAME]``):

* its distinct outlets crossed a threshold (``outlets = [3, 10]``) — checked for
  every article folded into the story, matching or not, since that is a fact about
  the story, not about one article's wording;
* a match carries a higher severity (weighted rules with bands);
* a match hits an escalation term no earlier alert of the rule had.

Each update's ``event`` is a key naming what changed (``"outlets>=3"``,
``"severity:high"``, ``"term:air strike"``, joined by ``+`` when several changed at
once), so its alert id is deterministic and the store's unique (story, rule, event)
makes every update, like every new alert, exist once — across retries and restarts.

An article's page that came after the article was stored (monitor.ingest.late_pages)
is matched then, and what it adds is a follow-up on the article's story
(:class:`LatePagePlan`): a rule now firing (``"page:match"``), or a match with a higher
severity or terms no earlier alert of the rule had (``"page:"`` and the change keys,
``"page:severity:high+term:air strike"``), whatever the update settings say: it tells
what the article's own alert would have said had the page come in time
(docs/decisions/0030-late-pages-follow-up.md).

Planning runs inside the store's transaction (:class:`AlertPlan` is handed to
``Store.record_article``), where the story's outlet count already includes the
article and earlier alerts are visible: a crash cannot separate an article from
the alerts it caused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import rules
from monitor.alerting import Routes
from monitor.config import SEVERITY_RANK, AlertingSettings, UpdateSettings
from monitor.records import (
    AlertRecord,
    Article,
    DedupDecision,
    RuleHistory,
    StoryAlertState,
    Verdict,
    alert_id_for,
)
from rules import Severity


@dataclass(frozen=True, slots=True)
class Change:
    """One material change of a story: a key for the event, words for the message."""

    key: str
    words: str


def outlet_change(updates: UpdateSettings, history: RuleHistory, outlets: int) -> Change | None:
    """The highest outlet threshold crossed since the rule's last alert, if any."""
    crossed = [count for count in updates.outlets if history.outlets < count <= outlets]
    if not crossed:
        return None
    return Change(f"outlets>={crossed[-1]}", f"reported by {outlets} outlets")


def severity_change(
    updates: UpdateSettings, history: RuleHistory, match: rules.Match
) -> Change | None:
    """A severity above every earlier alert's, when the rule re-alerts on severity."""
    higher = _rank(match.severity) > _rank(history.severity)
    if not (updates.severity and higher):
        return None
    return Change(f"severity:{match.severity}", f"severity raised to {match.severity}")


def term_change(updates: UpdateSettings, history: RuleHistory, match: rules.Match) -> Change | None:
    """Escalation terms (by list name or literally) that no earlier alert matched."""
    wanted = {name.casefold() for name in updates.escalation}
    hits = {
        hit.term.casefold()
        for hit in match.hits
        if hit.term.casefold() in wanted or (hit.ref or "").casefold() in wanted
    }
    new = sorted(hits - history.terms)
    if not new:
        return None
    label = "new terms" if len(new) > 1 else "new term"
    return Change(f"term:{new[0]}", f"{label}: {', '.join(new)}")


def changes(
    updates: UpdateSettings, history: RuleHistory, outlets: int, match: rules.Match | None
) -> list[Change]:
    """Every material change, in a fixed order (so the combined key is deterministic)."""
    found = [outlet_change(updates, history, outlets)]
    if match is not None:
        found += [severity_change(updates, history, match), term_change(updates, history, match)]
    return [change for change in found if change is not None]


@dataclass(frozen=True)
class AlertPolicy:
    """What the pipeline needs to plan alerts: update settings, routes, rules' notifiers."""

    routes: Routes
    settings: AlertingSettings = field(default_factory=AlertingSettings)
    rule_notifiers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def plan(
        self,
        article: Article,
        decision: DedupDecision,
        matches: Sequence[rules.Match],
        now: datetime,
    ) -> AlertPlan | tuple[()]:
        """The plan, or no alerts at all when no rule fires on an article opening a story:
        a new story has no earlier alert to follow up, so the transaction need not read
        its (empty) alert state."""
        if not matches and decision.verdict is Verdict.NEW_STORY:
            return ()
        return AlertPlan(self, article, decision, tuple(matches), now)


@dataclass(frozen=True)
class AlertPlan:
    """The alerts one article raises, decided against the story's state in the store."""

    policy: AlertPolicy
    article: Article
    decision: DedupDecision
    matches: tuple[rules.Match, ...]
    now: datetime

    def __call__(self, state: StoryAlertState) -> list[AlertRecord]:
        planned = [self._for_match(match, state) for match in self.matches]
        matched = {match.rule for match in self.matches}
        for rule, history in state.history.items():
            if rule not in matched:
                planned.append(self._update(rule, history, state, None))
        return [record for record in planned if record is not None]

    def _for_match(self, match: rules.Match, state: StoryAlertState) -> AlertRecord | None:
        history = state.history.get(match.rule)
        if history is None:
            return self._record(
                rule=match.rule,
                event="new",
                severity=match.severity,
                terms=match.terms,
                state=state,
                reason="",
            )
        return self._update(match.rule, history, state, match)

    def _update(
        self, rule: str, history: RuleHistory, state: StoryAlertState, match: rules.Match | None
    ) -> AlertRecord | None:
        updates = self.policy.settings.updates_for(rule)
        found = changes(updates, history, state.outlets, match)
        if not found:
            return None
        event = "+".join(change.key for change in found)
        severity = _highest(history.severity, match.severity if match else history.severity)
        terms = match.terms if match else tuple(sorted(history.terms))
        reason = "; ".join(change.words for change in found) + self._merged()
        return self._record(
            rule=rule, event=event, severity=severity, terms=terms, state=state, reason=reason
        )

    def _merged(self) -> str:
        """What a follow-up says of the stories the article merged into this one: their
        alerts count as this story's, and their articles and outlets are counted here."""
        absorbed = self.decision.absorbed
        return f"; merged story {', '.join(absorbed)}" if absorbed else ""

    def _record(
        self,
        *,
        rule: str,
        event: str,
        severity: Severity,
        terms: tuple[str, ...],
        state: StoryAlertState,
        reason: str,
    ) -> AlertRecord:
        notifiers = self.policy.rule_notifiers.get(rule, ())
        match = next((m for m in self.matches if m.rule == rule), None)
        if match is not None:
            notifiers = match.notifiers
        return AlertRecord(
            alert_id=alert_id_for(state.story_id, rule, event),
            story_id=state.story_id,
            article_id=self.article.article_id,
            rule=rule,
            severity=severity,
            terms=terms,
            notifiers=self.policy.routes.for_alert(notifiers, severity),
            created_at=self.now,
            event=event,
            outlets=state.outlets,
            reason=reason,
        )


PAGE_EVENT: Final = "page"  # the prefix of a late page's event keys
LATE_PAGE: Final = "article page read late"  # how a late page's follow-up says why


@dataclass(frozen=True)
class LatePagePlan(AlertPlan):
    """What an article's late page adds to its story's alerts (``matches``: the rules
    matched with the page's text as ``body``); nothing when it adds nothing."""

    def __call__(self, state: StoryAlertState) -> list[AlertRecord]:
        planned = (self._follow_up(match, state) for match in self.matches)
        return [record for record in planned if record is not None]

    def _follow_up(self, match: rules.Match, state: StoryAlertState) -> AlertRecord | None:
        history = state.history.get(match.rule)
        found = [Change("match", "")] if history is None else _page_changes(history, match)
        if not found:
            return None
        words = [change.words for change in found if change.words]
        return self._record(
            rule=match.rule,
            event=f"{PAGE_EVENT}:" + "+".join(change.key for change in found),
            severity=_highest(history.severity, match.severity) if history else match.severity,
            terms=match.terms,
            state=state,
            reason="; ".join([LATE_PAGE, *words]),
        )


def _page_changes(history: RuleHistory, match: rules.Match) -> list[Change]:
    """A higher severity, and any matched term no earlier alert had (not only escalation
    terms: the page is the same article's text, which its first alert did not see)."""
    every_term = UpdateSettings(severity=True, escalation=match.terms)
    return changes(every_term, history, history.outlets, match)  # no outlet change: none grew


def _highest(first: Severity, second: Severity) -> Severity:
    return max(first, second, key=_rank)


def _rank(severity: str) -> int:
    """Ranked by ``rules.Severity``; an unknown name (a row from a newer version) lowest."""
    return SEVERITY_RANK.get(severity, -1)
