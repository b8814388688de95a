"""What a reader said about an alert: a verdict, kept with who gave it and when.

Verdicts are history: a later verdict on the same alert is a new row, and the latest
one counts (docs/decisions/0047-alert-feedback.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_NOTE = 2000  # characters of a note kept; a longer one is refused, never cut silently


class AlertVerdict(StrEnum):
    """A reader's judgement of one alert."""

    USEFUL = "useful"
    FALSE_POSITIVE = "false_positive"
    DUPLICATE = "duplicate"  # right, but another alert had said it already


@dataclass(frozen=True, slots=True)
class Feedback:
    """One verdict on one alert: ``judged_by`` is an API token's name, "cli" or "link"."""

    alert_id: str
    verdict: AlertVerdict
    judged_by: str
    judged_at: datetime
    note: str = ""
    rule: str = ""  # the alert's rule, kept so the verdict outlives the alert's retention
    feedback_id: int | None = None


@dataclass(frozen=True, slots=True)
class RuleFeedback:
    """A rule's alerts raised in a period and the latest verdict on each, counted."""

    rule: str
    alerts: int
    useful: int = 0
    false_positive: int = 0
    duplicate: int = 0

    @property
    def judged(self) -> int:
        return self.useful + self.false_positive + self.duplicate

    @property
    def precision(self) -> float | None:
        """useful / (useful + false_positive); None before either verdict was given
        (a duplicate was right to fire, so it weighs on neither side)."""
        decided = self.useful + self.false_positive
        return self.useful / decided if decided else None
